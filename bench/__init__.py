"""Benchmarks of the warehouse (`make bench`): see bench/run.py and docs/performance.md."""
