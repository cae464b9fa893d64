"""Issued documents: the register and the printable summary of each document."""
