"""Code lists with labels in the caller's language (`GET /v1/vocabularies`)."""
