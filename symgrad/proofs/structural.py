"""The structural engine: colour refinement, a proof with no algebra.

Nodes and parameters get colours.  Parameters start coloured by their
initial value (the initial ties); inputs by their data (their values in every
sample), neurons by activation, function nodes by operation, and the
objective apart.  Then, until no colour class splits:

* a node's colour is refined by the multisets of (parameter colour, source
  colour) over its in-edges, (parameter colour, target colour) over its
  out-edges, (role, colour) over the arguments of a function node, and
  (colour, role) of the function nodes consuming it;
* a parameter's colour by the multiset of (source colour, target colour)
  over its edges.

The result is an *equitable* partition: by induction over the graph, nodes
of one colour have equal values and equal deltas whenever parameters of one
colour are equal, so parameters of one colour have equal gradients; a step of
gradient descent keeps them equal; the partition does not depend on values,
so it holds again at the next step, forever.  The proof is sound (never
coarser than the algebraic engine's) and near-linear in the graph; it cannot
see coincidences such as zero initialisation, so it may be finer.

>>> from symgrad import examples, Constant
>>> from symgrad.proofs.symmetry import prove
>>> prove(examples.toy(), Constant("a"), engine="structural").invariant
[(w1, w2), (w3, w4), (w5, w6, w7, w8), (w9, w10)]
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..base.progress import note
from ..model.nodes import FUNCTION, INPUT, NEURON
from ..model.size import check_structural
from .classes import Classes
from .records import Proof
from .trajectory import separations

SHIFT = 32


@dataclass(frozen=True)
class Colouring:
    """Final colours: one per node and one per parameter, and the rounds taken."""

    nodes: tuple[int, ...]
    parameters: tuple[int, ...]
    rounds: int


def _intern(signatures) -> list[int]:
    ids: dict = {}
    return [ids.setdefault(s, len(ids)) for s in signatures]


def _initial_node_colours(net) -> list[int]:
    samples = net.samples
    signature = []
    for j, node in enumerate(net.nodes):
        if node.kind == INPUT:
            key = ("input", tuple(s.get(node.symbol, node.symbol) for s in samples))
        elif node.kind == NEURON:
            key = ("neuron", node.activation)
        elif node.kind == FUNCTION:
            roles = tuple(sorted((node.op.role(k), _target_pattern(node, k, samples)) for k in range(len(node.args))))
            key = ("function", node.op.name, getattr(node.op, "activation", None), roles)
        else:
            key = (node.kind,)
        signature.append((j == net.objective, key))
    return _intern(signature)


def _target_pattern(node, k, samples):
    if not node.targets:
        return None
    t = node.targets[k]
    return tuple(sp.srepr(s.get(t, t)) for s in samples)


def colour_refinement(net, initial_parameter_colours) -> Colouring:
    """Refine node and parameter colours to the coarsest equitable partition
    finer than the initial colours."""
    src, tgt, par = net.edge_source, net.edge_target, net.edge_param
    n, count = len(net.nodes), net.parameter_count
    col = _initial_node_colours(net)
    pc = _intern(initial_parameter_colours)
    args = [(j, node) for j, node in enumerate(net.nodes) if node.kind == FUNCTION]
    rounds = 0
    while True:
        rounds += 1
        note(f"colour refinement: round {rounds}, {max(col) + 1:,} node colours")
        ins: list[list[int]] = [[] for _ in range(n)]
        outs: list[list[int]] = [[] for _ in range(n)]
        per_param: list = [None] * count
        for s, t, p in zip(src, tgt, par):
            cp = pc[p] << SHIFT
            ins[t].append(cp | col[s])
            outs[s].append(cp | col[t])
            key = col[s] << SHIFT | col[t]
            seen = per_param[p]
            if seen is None:
                per_param[p] = key
            elif isinstance(seen, list):
                seen.append(key)
            else:
                per_param[p] = [seen, key]
        related: list[list] = [[] for _ in range(n)]
        for f, node in args:
            for k, a in enumerate(node.args):
                role = (node.op.role(k), _target_pattern(node, k, net.samples))
                related[f].append(("arg", role, col[a]))
                related[a].append(("in", role, col[f]))
            related[f].extend(("use", col[u]) for u in node.uses)
        new_col = _intern(
            (col[j], tuple(sorted(ins[j])), tuple(sorted(outs[j])), tuple(sorted(related[j], key=repr)))
            for j in range(n)
        )
        new_pc = _intern(
            (pc[p], tuple(sorted(k)) if isinstance(k, list) else k) for p, k in enumerate(per_param)
        )
        if max(new_col) == max(col) and max(new_pc, default=-1) == max(pc, default=-1):
            return Colouring(tuple(col), tuple(pc), rounds)
        col, pc = new_col, new_pc


def prove_structural(net, init, values, base) -> Proof:
    """A ``Proof`` from colour refinement (``engine="structural"``)."""
    check_structural(net)
    colouring = colour_refinement(net, _base_colours(base, net.parameter_count))
    classes = Classes.by_value(colouring.parameters)
    note = (f"colour refinement converged after {colouring.rounds} rounds; it proves these ties with no algebra "
            "and does not decide coincidences (such as every gradient vanishing)")
    separated, apart = separations(net, values, classes)
    return Proof(network=net, init=init, engine="structural", initial_values=tuple(values), base=base,
                 at_init_classes=classes, invariant_classes=classes, stationary=None, notes=(note,),
                 frozen_parameters=None, separations=separated, not_separated=apart)


def _base_colours(base, count) -> list[int]:
    colour = [0] * count
    for c, members in enumerate(base):
        for p in members:
            colour[p] = c
    return colour
