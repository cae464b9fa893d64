"""Shared core of the returnee services: settings, database, errors, languages, auth,
idempotency, audit, outbox and the identifiers both services validate."""
