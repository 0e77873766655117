"""Effective width and the quotient network under the invariant ties.

Units of a layer whose values coincide under the ties compute the same
feature forever: "it is as if each layer had one unit".  Node classes come
from colour refinement seeded with the proof's invariant classes (an
equitable partition: nodes of one colour have equal values), so they are
sound for both engines and for networks of any size.

The quotient network keeps one unit per class; the edges from a class of
sources into a unit merge into one weight, the sum of the tied weights
(``v = w5 + w7 = 2*w5``).  It computes the same objective as the original on
the tied subspace, which ``quotient`` checks by canonical form.

>>> from symgrad import examples, prove
>>> proof = prove(examples.toy())
>>> [w.distinct for w in effective_width(proof)]
[1, 1, 1]
>>> q = quotient(proof)
>>> q.merged
{v1: w1, v2: w3, v3: 2*w5, v4: 2*w9}
>>> q.equal
True
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace

import sympy as sp

from ..base.printable import Printable
from ..maths.backends import SYMBOLIC
from ..maths.backprop import run
from ..model.graph import NetworkBuilder
from ..model.nodes import BIAS, FUNCTION, INPUT, NEURON
from ..proofs.classes import Classes
from ..proofs.equality import decide, difference_point
from ..proofs.structural import colour_refinement


@dataclass(frozen=True, repr=False)
class LayerWidth(Printable):
    """A layer's units, and how many distinct ones remain under the ties."""

    layer: str
    kind: str
    units: int
    distinct: int
    groups: tuple[tuple[sp.Symbol, ...], ...]


def node_colours(proof) -> tuple[int, ...]:
    """Colours of the nodes under the proof's invariant ties (equal colour: equal value)."""
    net = proof.network
    return tuple(colour_refinement(net, Classes(proof.invariant_classes).colours()).nodes.tolist())


def effective_width(proof) -> list[LayerWidth]:
    """Per layer of units, the number of distinct units under the invariant ties."""
    net = proof.network
    colours = node_colours(proof)
    widths = []
    for layer in net.layers:
        if layer.kind not in ("dense", "conv"):
            continue
        groups = Classes.by_value([tuple(colours[n] for n in unit) for unit in layer.units])
        named = tuple(tuple(net.nodes[layer.units[u][0]].symbol for u in g) for g in groups)
        widths.append(LayerWidth(layer.name, layer.kind, len(layer.units), len(groups), named))
    return widths


@dataclass(frozen=True, repr=False)
class Quotient(Printable):
    """The reduced network, its merged weights (in the original's class
    symbols) and whether its objective provably equals the original's."""

    original: object
    network: object
    merged: dict
    equal: bool | None


def _node_classes(net, colours) -> list[int]:
    """Each node's representative: the first node of the same colour and layer
    (outputs consumed by a loss, inputs and the constant stay alone)."""
    consumed = {a for n in net.nodes for a in n.args}
    rep: dict = {}
    out = []
    for j, node in enumerate(net.nodes):
        if node.kind != NEURON or j in consumed or j == net.objective:
            out.append(j)
            continue
        out.append(rep.setdefault((colours[j], node.layer), j))
    return out


def quotient(proof) -> Quotient:
    """One unit per class of identical units, merged weights, and the check."""
    net = proof.network
    colours = node_colours(proof)
    rep_of = _node_classes(net, colours)
    substitution = Classes(proof.invariant_classes).representatives(net.parameters)
    b = NetworkBuilder(f"{net.name} (quotient)", f"The quotient of {net.name} under {proof.init.describe()}.")
    new: dict[int, int] = {}
    for j, node in enumerate(net.nodes):
        if rep_of[j] != j or node.kind == BIAS:
            continue
        if node.kind == INPUT:
            new[j] = b.add(node)
        elif node.kind == NEURON:
            new[j] = b.neuron(str(node.symbol), node.layer, node.activation)
        elif node.kind == FUNCTION:
            new[j] = b.add(node)  # arguments are remapped below, once every node exists
    weight_ids: dict = {}
    merged: dict = {}
    for j, node in enumerate(net.nodes):
        if rep_of[j] != j or node.kind != NEURON:
            continue
        incoming: dict = {}
        for e in net.in_edges[j]:
            s = net.edge_source[e]
            key = "bias" if net.nodes[s].kind == BIAS else rep_of[s]
            incoming[key] = incoming.get(key, 0) + substitution[net.edge_param[e]]
        for key, expr in incoming.items():
            if key == "bias":
                b.add_bias(new[j], b.bias())
                merged[("bias", b.bias_total)] = expr
                continue
            if expr not in weight_ids:
                weight_ids[expr] = b.weight(f"v{len(weight_ids) + 1}")
                merged[sp.Symbol(f"v{len(weight_ids)}")] = expr
            b.connect(new[key], new[j], weight_ids[expr])
    for j, node in enumerate(net.nodes):
        if node.kind == FUNCTION:
            b.replace(new[j], _remap(node, new, rep_of))
    b.rename(biases=[f"c{k}" for k in range(1, b.bias_total + 1)])
    merged = {(sp.Symbol(f"c{k[1]}") if isinstance(k, tuple) else k): v for k, v in merged.items()}
    reduced = b.build(objective=new[rep_of[net.objective]])
    return Quotient(net, reduced, merged, _same_objective(net, reduced, substitution, merged))


def _remap(node, new, rep_of):
    return replace(node, args=tuple(new[rep_of[a]] for a in node.args), uses=tuple(new[rep_of[u]] for u in node.uses))


def _same_objective(net, reduced, substitution, merged) -> bool | None:
    original = run(net, SYMBOLIC, substitution).values[net.objective]
    params = [merged[p] for p in reduced.parameters]
    mine = run(reduced, SYMBOLIC, params).values[reduced.objective]
    if decide(original, mine):
        return True
    return False if difference_point(original, mine) is not None else None
