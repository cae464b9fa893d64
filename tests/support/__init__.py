"""Test support: databases, apps and keys on the real migrated schema."""
