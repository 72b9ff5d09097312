"""Benchmarks that print comparable figures (see docs/benchmarks.md)."""
