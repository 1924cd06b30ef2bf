"""Benchmarks: each script prints one JSON object on its last line."""
