"""Requests for a document, from `requested` to hand-over."""
