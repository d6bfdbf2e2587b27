"""Benchmarks: ``python -m benchmarks [case ...]`` prints a table and writes benchmarks/RESULTS.md."""
