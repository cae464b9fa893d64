"""Issuance of identity documents to returnees: Kazakh birth certificates and clean passports."""
