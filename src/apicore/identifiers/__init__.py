"""Identifiers of Kazakh civil registration."""
