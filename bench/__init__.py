"""Benchmarks of the warehouse (`make bench`): see bench/run.py and README "Performance"."""
