"""Initialisations: which value every weight and bias starts from.

A constraint gives each parameter its initial value, a SymPy expression.
Parameters whose values are identical start *tied*; the symmetry engines ask
which ties survive training.

* ``Constant(a)``: every weight equal to ``a`` (a symbol name, a symbol or a number);
* ``Zero()``: every weight 0;
* ``Distinct()``: every weight its own symbol, the generic (random-like) case;
* ``Tied(groups)``: the weights of each group equal (to its first member, or
  to a value given as a dict), all others distinct;
* ``PerLayer(values)``: one constant per layer of weights.

Biases follow their own constraint, ``biases=`` (default ``Zero()``).

>>> from symgrad import examples
>>> net = examples.toy()
>>> Constant("a").values(net)[:3]
[a, a, a]
>>> Tied([["w1", "w2"]]).values(net)[:3]
[w1, w1, w3]
>>> Tied([["w1", "w11"]]).values(net)
Traceback (most recent call last):
...
symgrad.base.errors.SymgradError: network 'toy' has no weight or bias 'w11'
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sympy as sp

from ..base.errors import SymgradError
from ..base.printable import Printable
from ..base.values import to_expr


def _value(v) -> sp.Expr:
    return to_expr(v)


@dataclass(frozen=True, repr=False)
class Constraint(Printable):
    """An initialisation (abstract): ``values(net)`` gives every parameter's start."""

    biases: "Constraint | None" = field(default=None, kw_only=True)

    def values(self, net) -> list[sp.Expr]:
        """The initial value of every parameter of ``net`` (weights, then biases)."""
        weights = self._weights(net, range(net.weight_count))
        rule = self.biases if self.biases is not None else Zero()
        return weights + rule._weights(net, range(net.weight_count, net.parameter_count))

    def _weights(self, net, params: range) -> list[sp.Expr]:
        raise NotImplementedError

    def describe(self) -> str:
        """A short phrase: "every weight equal to a"."""
        raise NotImplementedError

    def bias_phrase(self, net) -> str:
        if not net.bias_count:
            return ""
        rule = self.biases if self.biases is not None else Zero()
        return "; " + rule.describe().replace("weight", "bias").replace("biass", "biases")



@dataclass(frozen=True, repr=False)
class Constant(Constraint):
    """Every weight equal to ``value`` (default the symbol ``a``)."""

    value: object = "a"

    def _weights(self, net, params):
        v = _value(self.value)
        return [v] * len(params)

    def describe(self) -> str:
        return f"every weight equal to {_value(self.value)}"


@dataclass(frozen=True, repr=False)
class Zero(Constraint):
    """Every weight 0."""

    def _weights(self, net, params):
        return [sp.S.Zero] * len(params)

    def describe(self) -> str:
        return "every weight 0"


@dataclass(frozen=True, repr=False)
class Distinct(Constraint):
    """Every weight its own symbol: no two start equal (the random-like case)."""

    def _weights(self, net, params):
        return [net.parameters[p] for p in params]

    def describe(self) -> str:
        return "every weight distinct"


@dataclass(frozen=True, repr=False)
class PerLayer(Constraint):
    """One constant per layer of weights, in order (by the layer of each
    weight's target unit)."""

    layer_values: Sequence = ()

    def _weights(self, net, params):
        layers = weight_layers(net)
        order = sorted(set(layers[p] for p in params))
        if len(self.layer_values) != len(order):
            raise SymgradError(f"{len(self.layer_values)} layer values given for {len(order)} layers of parameters")
        by_layer = dict(zip(order, map(_value, self.layer_values)))
        return [by_layer[layers[p]] for p in params]

    def describe(self) -> str:
        return "weights constant per layer: " + ", ".join(str(_value(v)) for v in self.layer_values)


@dataclass(frozen=True, repr=False)
class Tied(Constraint):
    """User-given groups start equal; everything else is distinct.

    ``groups`` is a list of groups of names (each group takes its first
    member's symbol) or a dict ``{group: value}``.  Groups may name biases.
    """

    groups: object = ()

    def _groups(self, net) -> list[tuple[list[int], sp.Expr | None]]:
        items = self.groups.items() if isinstance(self.groups, Mapping) else [(g, None) for g in self.groups]
        found, owner = [], {}
        for group, value in items:
            members = [net.index_of(m) for m in ([group] if isinstance(group, (str, sp.Symbol)) else group)]
            for p in members:
                if p in owner:
                    raise SymgradError(f"{net.param_name(p)} is in two tied groups: merge them or drop one")
                owner[p] = len(found)
            found.append((members, None if value is None else _value(value)))
        return found

    def values(self, net) -> list[sp.Expr]:
        values = list(net.parameters)
        if self.biases is not None:
            values[net.weight_count:] = self.biases._weights(net, range(net.weight_count, net.parameter_count))
        for members, value in self._groups(net):
            for p in members:
                values[p] = value if value is not None else net.parameters[members[0]]
        return values

    def _weights(self, net, params):
        return [v for p, v in enumerate(self.values(net)) if p in params]

    def describe(self) -> str:
        if isinstance(self.groups, Mapping):
            parts = [f"{' = '.join(map(str, g)) if not isinstance(g, str) else g} = {_value(v)}" for g, v in self.groups.items()]
        else:
            parts = [" = ".join(map(str, g)) for g in self.groups]
        return "tied " + "; ".join(parts) + ", every other weight distinct"

    def bias_phrase(self, net) -> str:
        return "" if self.biases is None else super().bias_phrase(net)


@dataclass(frozen=True, repr=False)
class Given(Constraint):
    """Every parameter at a value of its own: ``values`` pairs a name with its
    start (an imported model's initialisation, its floats read exactly).
    Parameters it does not name stand for themselves (distinct).

    >>> from symgrad import Network
    >>> Given((("w1", 0.5), ("w2", 0.5))).values(Network.mlp([3, 1]))
    [1/2, 1/2, w3]
    """

    given: tuple = ()

    def values(self, net) -> list[sp.Expr]:
        values = list(net.parameters)
        for name, value in self.given:
            values[net.index_of(name)] = sp.Rational(value) if isinstance(value, float) else _value(value)
        return values

    def _weights(self, net, params):
        values = self.values(net)
        return [values[p] for p in params]

    def describe(self) -> str:
        count = len({v for _, v in self.given})
        return f"every parameter at its given value ({count} distinct value{'s' * (count != 1)})"

    def bias_phrase(self, net) -> str:
        return ""


def weight_layers(net) -> list[int]:
    """The layer of each parameter: the layer of the unit its edges go into."""
    return [net.nodes[net.edge_target[edges[0]]].layer for edges in net.param_edges]


def parse(spec: str) -> Constraint:
    """A constraint from the command line's ``--init`` text.

    ``constant``, ``constant:VALUE``, ``zero``, ``distinct``,
    ``tied:w1=w2,w3=w4`` or ``layers:a,b,c``.

    >>> parse("tied:w1=w2,w3=w4").groups
    (('w1', 'w2'), ('w3', 'w4'))
    >>> parse("constant:-1").value
    '-1'
    """
    kind, _, arg = spec.partition(":")
    if kind == "constant":
        return Constant(arg or "a")
    if kind in ("zero", "distinct") and not arg:
        return Zero() if kind == "zero" else Distinct()
    if kind == "tied" and arg:
        return Tied(tuple(tuple(m.strip() for m in g.split("=")) for g in arg.split(",")))
    if kind == "layers" and arg:
        return PerLayer(layer_values=tuple(v.strip() for v in arg.split(",")))
    raise SymgradError(f"unknown initialisation {spec!r}: use constant[:VALUE], zero, distinct, tied:w1=w2,w3=w4 or layers:a,b,c")
