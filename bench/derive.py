"""Deriving every gradient: symgrad's reverse mode against per-weight
``sympy.diff`` of the nested output followed by ``expand``."""
from __future__ import annotations

import sympy as sp

import symgrad as sg

from .common import nested_output, ratio, row, seconds, square_mlp, timed

WIDTHS = [2, 7, 16, 22, 70]   # 10, 105, 528, 990 and 9,870 weights
NAIVE_LIMIT = 600              # the naive route grows ~N^2: beyond this it takes minutes


def naive_gradients(net: sg.Network) -> list[sp.Expr]:
    y = nested_output(net)
    return [sp.expand(sp.diff(y, w)) for w in net.weights]


def symgrad_gradients(net: sg.Network) -> list[sp.Expr]:
    return list(sg.derive(net).gradients().values())


def main() -> list[tuple]:
    print("Derivation of all gradients of a linear MLP (objective = output)")
    print(row("sizes", "weights", "symgrad s", "naive s", "ratio"))
    results = []
    warm = sg.examples.toy()  # first calls import lazily: keep that out of the timings
    symgrad_gradients(warm), naive_gradients(warm)
    for width in WIDTHS:
        net = sg.Network.mlp(square_mlp(width))
        ours, grads = timed(lambda: symgrad_gradients(net))
        naive = None
        if net.weight_count <= NAIVE_LIMIT:
            naive, reference = timed(lambda: naive_gradients(net))
            assert all(sp.expand(g) == r for g, r in zip(grads[:3], reference[:3]))
        sizes = "-".join(map(str, square_mlp(width)))
        print(row(sizes, net.weight_count, seconds(ours), seconds(naive), ratio(naive, ours)), flush=True)
        results.append((sizes, net.weight_count, ours, naive))
    return results
