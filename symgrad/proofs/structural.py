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

import numpy as np
import sympy as sp

from ..base.errors import SymgradError
from ..base.progress import note
from ..maths.palette import Palette
from ..maths.refine import Grouping, dense, marks, split
from ..model.nodes import FUNCTION, INPUT, NEURON
from ..model.size import check_structural
from .classes import Classes
from .records import Proof
from .trajectory import separations


@dataclass(frozen=True)
class Colouring:
    """Final colours: one per node and one per parameter, and the rounds taken."""

    nodes: np.ndarray        # a colour per node (equal colours: one class; the ids mean nothing else)
    parameters: np.ndarray   # a colour per parameter
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
            key = ("function", node.op.key, roles)
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
    finer than the initial colours.  A round colours the multisets gathered at
    every node and parameter (the shared kernel ``symgrad.maths.refine``, over
    the edge arrays grouped once for every round), turns them into one mark per
    node and per parameter, and splits both partitions by their marks, all from
    the previous round's colours: no Python loop per node or edge.  Equal colours
    mean one class; the ids themselves carry no meaning."""
    src, tgt, par = net.edge_arrays
    n, count = len(net.nodes), net.parameter_count
    col, node_count = dense(np.asarray(_initial_node_colours(net), np.uint64))
    pc, parameter_count = dense(np.asarray(initial_parameter_colours, np.uint64))
    relations = _relations(net)
    at = {"in": Grouping(tgt, n), "out": Grouping(src, n), "ends": Grouping(par, count)}
    at |= {kind: Grouping(where, n) for kind, (where, _, _) in relations.items()}
    rounds = 0
    while True:
        rounds += 1
        note(f"colour refinement: round {rounds}, {node_count:,} node colours, {parameter_count:,} parameter classes")
        pal = Palette()

        def multiset(tag, first, second):
            """The colour of the multiset of pairs (first, second) gathered at each slot."""
            return at[tag].multisets(pal, (tag, "multiset"), _pairs(first, second), single=True)

        around = [multiset("in", pc[par], col[src]), multiset("out", pc[par], col[tgt])]
        around += [multiset(kind, role, col[other]) for kind, (_, other, role) in relations.items()]
        node_marks = marks(pal, "node", around)
        parameter_marks = marks(pal, "parameter", [multiset("ends", col[src], col[tgt])])
        col, new_nodes = split(col, node_marks, inplace=True)            # every mark is read: now in place
        pc, new_parameters = split(pc, parameter_marks, inplace=True)
        if not new_nodes and not new_parameters:
            return Colouring(col, pc, rounds)
        node_count, parameter_count = node_count + new_nodes, parameter_count + new_parameters


def _pairs(first, second) -> np.ndarray:
    """Exact keys of pairs of (non-negative) colours, side by side in as few
    bits as they need, all at or above 2**31: a pair alone in its multiset stands
    for that multiset, apart from every interned colour (which is below 2**31).

    >>> _pairs(np.array([0, 1]), np.array([0, 2])).tolist() == [2**31, 2**31 + (1 << 2 | 2)]
    True
    """
    first, second = np.asarray(first, np.int64), np.asarray(second, np.int64)
    width = max(int(second.max(initial=0)).bit_length(), 1)
    if int(first.max(initial=0)).bit_length() + width > 62:
        raise SymgradError("more colours than the structural engine packs into 64 bits")
    return ((first << width) | second) + (1 << 31)


def _relations(net) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The function nodes' relations, as arrays (node it is gathered at, node related,
    role): a function node sees its arguments (with their roles) and the values it
    uses; an argument sees the function nodes reading it."""
    roles: dict = {}
    found = {"argument": [], "reader": [], "use": []}
    for f, node in enumerate(net.nodes):
        if node.kind != FUNCTION:
            continue
        for k, a in enumerate(node.args):
            role = roles.setdefault((node.op.role(k), _target_pattern(node, k, net.samples)), len(roles))
            found["argument"].append((f, a, role))
            found["reader"].append((a, f, role))
        found["use"] += [(f, u, 0) for u in node.uses]
    return {kind: tuple(np.array(column, np.int64) for column in (zip(*rows) if rows else ([], [], [])))
            for kind, rows in found.items()}


def prove_structural(net, init, values, base) -> Proof:
    """A ``Proof`` from colour refinement (``engine="structural"``)."""
    check_structural(net)
    colouring = colour_refinement(net, Classes(base).colours())
    classes = Classes.by_label(colouring.parameters)
    note = (f"colour refinement converged after {colouring.rounds} rounds; it proves these ties with no algebra "
            "and does not decide coincidences (such as every gradient vanishing)")
    separated, apart = separations(net, values, classes)
    return Proof(network=net, init=init, engine="structural", initial_values=tuple(values), base=base,
                 at_init_classes=classes, invariant_classes=classes, stationary=None, notes=(note,),
                 frozen_parameters=None, separations=separated, not_separated=apart)

