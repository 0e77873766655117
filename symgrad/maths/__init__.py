"""Gradients: maths backends (symbolic, exact, interval, float), the one reverse-mode
traversal, the derivation's views, and the one generator of random points."""
