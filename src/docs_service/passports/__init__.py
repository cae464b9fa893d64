"""Passports issued to returnees: the machine-readable zone of the data page."""
