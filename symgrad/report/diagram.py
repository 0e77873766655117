"""A drawing of the network: node positions and labelled edges for TikZ.

Layers are columns from left to right, units are stacked in each column, the
constant 1 of the biases sits under the inputs; every weighted edge carries
its weight's symbol, placed near its source so crossing edges keep their
labels apart.  This module only lays out; the template draws.

>>> from symgrad import examples
>>> d = diagram(examples.toy())
>>> [e.label for e in d.edges][:3]
['w_{1}', 'w_{2}', 'w_{3}']
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model.nodes import BIAS, FUNCTION, INPUT
from ..present.expressions import latex
from .environment import TeX

MAX_EDGES = 90  # beyond this a drawing is unreadable; the report says so


@dataclass(frozen=True)
class DrawnNode:
    name: str
    x: float
    y: float
    label: str
    style: str


@dataclass(frozen=True)
class DrawnEdge:
    source: str
    target: str
    label: str
    pos: float
    style: str


@dataclass(frozen=True)
class Diagram:
    nodes: tuple[DrawnNode, ...]
    edges: tuple[DrawnEdge, ...]


def diagram(net, column: float = 3.0, row: float = 1.6) -> Diagram | None:
    """The layout of ``net`` (None if it has too many edges to draw)."""
    function_edges = sum(len(n.args) for n in net.nodes if n.kind == FUNCTION)
    if net.edge_count + function_edges > MAX_EDGES:
        return None
    columns: dict[int, list[int]] = {}
    for j, node in enumerate(net.nodes):
        columns.setdefault(0 if node.kind == BIAS else node.layer, []).append(j)
    tallest = max(len(c) for c in columns.values())
    row = min(row, 13.0 / max(tallest - 1, 1))
    placed = {j: (layer * column, (len(members) - 1) * row / 2 - k * row)
              for layer, members in columns.items() for k, j in enumerate(members)}
    nodes = tuple(_node(net, j, *placed[j]) for j in placed)
    edges = [_edge(net, e, placed) for e in range(net.edge_count)]
    for j, node in enumerate(net.nodes):
        if node.kind == FUNCTION:
            edges += [DrawnEdge(f"n{a}", f"n{j}", "", 0.5, "plain") for a in node.args]
    return Diagram(nodes, tuple(edges))


def _node(net, j, x, y) -> DrawnNode:
    node = net.nodes[j]
    style = {INPUT: "input", BIAS: "bias", FUNCTION: "function"}.get(node.kind, "neuron")
    return DrawnNode(f"n{j}", round(x, 3), round(y, 3), TeX(latex(node.symbol)), style)


def _edge(net, e, placed) -> DrawnEdge:
    """A weighted edge; its label sits near the source on edges that fall and
    near the target on edges that rise, so the labels of two crossing edges
    keep apart."""
    s, t, p = net.edge_source[e], net.edge_target[e], net.edge_param[e]
    siblings = [net.edge_target[f] for f in net.out_edges[s]]
    k, n = siblings.index(t), len(siblings)
    rise = placed[t][1] - placed[s][1]
    pos = 0.3 if n == 1 else (0.2 + 0.1 * k / (n - 1)) if rise <= 0 else (0.72 - 0.1 * k / (n - 1))
    style = "bias" if net.nodes[s].kind == BIAS else "weight"
    return DrawnEdge(f"n{s}", f"n{t}", TeX(latex(net.parameters[p])), round(pos, 3), style)
