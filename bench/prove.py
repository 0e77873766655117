"""Proving the invariant ties under constant initialisation: symgrad's two
engines against the naive route (differentiate the nested output per weight,
substitute, expand every gradient, compare; repeat per refinement round),
written with SymPy and with SymEngine, in the same run."""
from __future__ import annotations

import symgrad as sg
from symgrad.proofs.classes import Classes

from .common import ratio, row, seconds, square_mlp, timed

ALGEBRAIC = [8, 16, 32]          # 136, 528 and 2,080 weights
SYMPY_LIMIT = 200                # naive SymPy: ~15 s at 136 weights, minutes beyond
SYMENGINE_LIMIT = 2100


def naive_invariant(net: sg.Network, backend) -> tuple:
    """At-init classes and invariant classes by expanding every gradient."""
    weights = [backend.Symbol(str(w)) for w in net.weights]
    inputs = {j: backend.Symbol(str(net.nodes[j].symbol)) for j in net.input_nodes}
    value = dict(inputs)
    for j in net.neurons:
        value[j] = backend.Add(*[weights[net.edge_param[e]] * value[net.edge_source[e]] for e in net.in_edges[j]])
    y = value[net.objective]
    grads = [backend.diff(y, w) for w in weights]
    a = backend.Symbol("a")
    at_init = Classes.by_value([backend.expand(g.subs({w: a for w in weights})) for g in grads])
    classes = (tuple(range(len(weights))),)
    while True:
        sub = {weights[p]: weights[c[0]] for c in classes for p in c}
        expanded = [backend.expand(g.xreplace(sub) if hasattr(g, "xreplace") else g.subs(sub)) for g in grads]
        result = Classes.canonical(part for c in classes for part in _split(c, expanded))
        if result == classes:
            return at_init, result
        classes = result


def _split(members, expanded):
    groups: dict = {}
    for p in members:
        groups.setdefault(expanded[p], []).append(p)
    return groups.values()


def main() -> None:
    import sympy
    try:
        import symengine
    except ImportError:  # the bench extra installs it
        symengine = None
    warm = sg.examples.toy()  # first calls import lazily and fill caches: keep that out of the timings
    sg.prove(warm), sg.prove(warm, engine="structural"), naive_invariant(warm, sympy)
    if symengine:
        naive_invariant(warm, symengine)
    print("Invariant ties under constant init, linear MLPs (seconds; ratio = naive / symgrad algebraic)")
    print(row("sizes", "weights", "algebraic", "structural", "SymPy", "ratio", "SymEngine", "ratio",
              widths=(12, 9, 10, 10, 9, 7, 10, 7)))
    for width in ALGEBRAIC:
        sizes = square_mlp(width)
        net = sg.Network.mlp(sizes)
        ours, proof = timed(lambda: sg.prove(net, sg.Constant("a")))
        fast, quick = timed(lambda: sg.prove(net, sg.Constant("a"), engine="structural"))
        assert quick.invariant_classes == proof.invariant_classes
        naive = sympy_s = None
        if net.weight_count <= SYMPY_LIMIT:
            sympy_s, answer = timed(lambda: naive_invariant(net, sympy))
            assert answer == (proof.at_init_classes, proof.invariant_classes)
        if symengine and net.weight_count <= SYMENGINE_LIMIT:
            naive, answer = timed(lambda: naive_invariant(net, symengine))
            assert answer[1] == proof.invariant_classes
        print(row("-".join(map(str, sizes)), net.weight_count, seconds(ours), seconds(fast), seconds(sympy_s),
                  ratio(sympy_s, ours), seconds(naive), ratio(naive, ours), widths=(12, 9, 10, 10, 9, 7, 10, 7)), flush=True)
