"""Benchmarks that compare symgrad with the naive SymPy route in the same run."""
