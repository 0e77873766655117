"""Cross-checks of symgrad's exact gradients against other engines.

``symgrad.interop.points`` (no dependency) draws random points and evaluates
symgrad's exact gradients there; ``symgrad.interop.torch`` (the extra
``symgrad[torch]``) builds the same network in PyTorch from the graph and
compares its autograd gradients with them.
"""
