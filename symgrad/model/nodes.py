"""The nodes of a network: their kinds, ``Node`` and ``Layer`` (plain, frozen data),
and ``validate``, the checks of a built network.

>>> Node(sp.Symbol("x1"), INPUT, 0).kind
'input'
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..base.errors import SymgradError
from ..base.printable import Printable
from .activations import IDENTITY, Activation
from .ops import Op

INPUT, BIAS, NEURON, FUNCTION = "input", "bias", "neuron", "function"


@dataclass(frozen=True, slots=True, repr=False)
class Node(Printable):
    """One scalar node; ``symbol`` names its value (``x1``, ``y3``, ``L``)."""

    symbol: sp.Symbol
    kind: str
    layer: int
    activation: Activation = IDENTITY
    op: Op | None = None
    args: tuple[int, ...] = ()
    uses: tuple[int, ...] = ()
    targets: tuple[sp.Symbol, ...] = ()


@dataclass(frozen=True, slots=True, repr=False)
class Layer(Printable):
    """A named group of nodes; ``units`` groups node ids by unit (a
    convolution channel is one unit spread over several positions)."""

    name: str
    kind: str
    units: tuple[tuple[int, ...], ...]

    @property
    def nodes(self) -> tuple[int, ...]:
        return tuple(n for unit in self.units for n in unit)


def validate(net) -> None:
    """Check a built network: unique names, a reachable objective, used parameters."""
    if not 0 <= net.objective < len(net.nodes):
        raise SymgradError("the objective is not a node of the network")
    seen: dict[str, str] = {}
    small = net.parameter_count <= 100_000
    named = [(str(n.symbol), "node") for n in net.nodes if n.kind != BIAS] + [(str(t), "target") for t in net.targets]
    if small or net.weight_names or net.bias_names:
        named += [(net.param_name(p), "parameter") for p in range(net.parameter_count)]
    for name, what in named:
        if name in seen:
            both = f"two {what}s" if seen[name] == what else f"a {seen[name]} and a {what}"
            raise SymgradError(f"the name {name!r} is given to {both}")
        seen[name] = what
    unused = np.flatnonzero(np.bincount(net.edge_arrays[2], minlength=net.parameter_count) == 0)
    if len(unused):
        raise SymgradError(f"parameter {net.param_name(int(unused[0]))} sits on no edge")
    for j, node in enumerate(net.nodes):
        if any(not 0 <= a < j for a in node.args) or any(not 0 <= u < len(net.nodes) for u in node.uses):
            raise SymgradError(f"node {node.symbol} refers to nodes that do not come before it")
