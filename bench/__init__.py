"""Benchmarks of the warehouse (`make bench`, issue 8): see bench/run.py and README "Performance"."""
