"""Minimal apps the services are measured against: the raw driver and a naive ORM."""
