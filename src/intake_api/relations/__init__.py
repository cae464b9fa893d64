"""Family links between returnees, and the households they form."""
