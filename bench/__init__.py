"""Benchmarks of both services (`make bench`); see bench/README.md."""
