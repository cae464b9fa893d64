"""Returnees: registration, names in several scripts, document needs."""
