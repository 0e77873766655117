"""The ground every layer stands on: errors, Ctrl-C, progress, limits, and the
vocabulary of input (names, values written as text, documents read with precise complaints)."""
