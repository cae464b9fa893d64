"""Intake of returnees: operations, persons, families and the path home."""
