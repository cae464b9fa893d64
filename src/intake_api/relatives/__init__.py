"""Relatives in Kazakhstan who may host a returnee family, and their decisions."""
