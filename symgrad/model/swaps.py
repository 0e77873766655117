"""Unit swaps: the parameter permutation that exchanging two units induces,
checked to be a symmetry of the graph, and points that give every parameter
a number (both are read by ``symgrad.dynamics.linearisation``).

>>> from symgrad import Network
>>> str(unit_swap(Network.mlp([2, 2, 1]), (1, 0), (1, 1)))
'w1 <-> w2, w3 <-> w4, w5 <-> w6'
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from ..base.errors import SymgradError
from ..base.printable import Printable
from ..base.values import to_expr
from .graph import Network
from .nodes import NEURON


@dataclass(frozen=True, repr=False)
class Swap(Printable):
    """Two units exchanged: the node permutation and the parameter
    permutation it induces (``params[p]`` is the image of parameter ``p``)."""

    network: Network
    units: tuple[tuple[int, ...], tuple[int, ...]]
    nodes: tuple[int, ...]
    params: tuple[int, ...]

    @property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """The swapped parameters ``(p, P(p))`` with ``p < P(p)``, in order."""
        return tuple((p, q) for p, q in enumerate(self.params) if p < q)

    def apply(self, values) -> list:
        """``P w``: the value of parameter ``p`` moves to ``P(p)``."""
        out = [None] * len(values)
        for p, v in enumerate(values):
            out[self.params[p]] = v
        return out


def unit_swap(net: Network, unit_a, unit_b) -> Swap:
    """The parameter permutation induced by exchanging two units.

    A unit is a node's symbol or name (its whole unit: a filter spans every
    position), a pair ``(layer index, unit index)`` into ``net.layers``, or a
    list of node names.  Each edge ``(s, t, w)`` must map to an edge
    ``(pi(s), pi(t), w')`` and each weight to a single ``w'``; otherwise the
    swap is no symmetry and ``SymgradError`` names the weight.

    >>> str(unit_swap(Network.mlp([1, 2, 1]), "y1", "y2"))
    'w1 <-> w2, w3 <-> w4'
    """
    a, b = _unit(net, unit_a), _unit(net, unit_b)
    if len(a) != len(b) or set(a) & set(b):
        raise SymgradError(f"units {_names(net, a)} and {_names(net, b)} must be disjoint and of one size")
    pi = list(range(len(net.nodes)))
    for s, t in zip(a, b):
        pi[s], pi[t] = t, s
    _check_nodes(net, pi)
    return Swap(net, (a, b), tuple(pi), _param_map(net, pi))


def _unit(net: Network, spec) -> tuple[int, ...]:
    if isinstance(spec, tuple) and len(spec) == 2 and all(type(i) is int for i in spec):
        try:
            return net.layers[spec[0]].units[spec[1]]
        except IndexError:
            raise SymgradError(f"network {net.name!r} has no unit {spec[1]} in layer {spec[0]}") from None
    if isinstance(spec, (list, tuple)):
        return tuple(_node(net, s) for s in spec)
    node = _node(net, spec)
    return next((u for layer in net.layers for u in layer.units if node in u), (node,))


def _node(net: Network, spec) -> int:
    key = sp.Symbol(spec) if isinstance(spec, str) else spec
    try:
        return net.node_index[key]
    except (KeyError, TypeError):
        raise SymgradError(f"network {net.name!r} has no node {spec!r}") from None


def _names(net: Network, nodes) -> str:
    return "(" + ", ".join(str(net.nodes[j].symbol) for j in nodes) + ")"


def _check_nodes(net: Network, pi: list[int]) -> None:
    """Swapped nodes are neurons with one activation, read by no function
    node except a plain sum, and the objective stays put."""
    for j, k in enumerate(pi):
        if j == k:
            continue
        node, other = net.nodes[j], net.nodes[k]
        if node.kind != NEURON or other.kind != NEURON or node.activation != other.activation:
            raise SymgradError(f"{node.symbol} and {other.symbol} are not neurons of one activation")
        if j == net.objective:
            raise SymgradError(f"the swap moves the objective {node.symbol}")
        for f, _ in net.consumers[j]:
            reader = net.nodes[f]
            if not reader.op.symmetric:
                raise SymgradError(f"{reader.symbol} ({reader.op.name}) reads {node.symbol}: the swap is no symmetry")


def _param_map(net: Network, pi: list[int]) -> tuple[int, ...]:
    """Each parameter's image, read off the edges and checked consistent."""
    edges: dict[tuple[int, int], list[int]] = {}
    for e in range(net.edge_count):
        edges.setdefault((net.edge_source[e], net.edge_target[e]), []).append(net.edge_param[e])
    image: dict[int, int] = {}
    for (s, t), params in edges.items():
        targets = edges.get((pi[s], pi[t]), [])
        if len(targets) != len(params):
            raise SymgradError(f"weight {net.param_name(params[0])} on {net.nodes[s].symbol} -> {net.nodes[t].symbol} "
                               f"has no counterpart on {net.nodes[pi[s]].symbol} -> {net.nodes[pi[t]].symbol}")
        for p, q in zip(params, targets):
            if image.setdefault(p, q) != q:
                raise SymgradError(f"shared weight {net.param_name(p)} would map to both "
                                   f"{net.param_name(image[p])} and {net.param_name(q)}")
    params = tuple(image[p] for p in range(net.parameter_count))
    if any(params[q] != p for p, q in enumerate(params)):
        p = next(p for p, q in enumerate(params) if params[q] != p)
        raise SymgradError(f"weight {net.param_name(p)} is not exchanged back by the swap")
    return params


def point_values(net: Network, point: Mapping) -> list[sp.Expr]:
    """Every parameter's number at ``point`` (a mapping of names to values), in numbering order."""
    values: list = [None] * net.parameter_count
    for key, value in point.items():
        values[net.index_of(key)] = to_expr(value)
    missing = [net.param_name(p) for p, v in enumerate(values) if v is None]
    if missing:
        raise SymgradError(f"the point gives no value to {missing[0]}")
    if bad := next((v for v in values if not v.is_number), None):
        raise SymgradError(f"the point's value {bad} is not a number")
    return values
