"""Benchmarks that print speed ratios against reference libraries, measured side by side in one run."""
