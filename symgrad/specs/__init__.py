"""The input layer: network description files (TOML) and the built-in examples with
their questions, read and checked into networks of ``symgrad.model``."""
