"""Exact derivatives of a network's objective, in the views a reader wants.

``derive(net)`` runs reverse mode once (``symgrad.maths.backprop``) and offers, for
every weight ``w``:

* ``chain(w)``: the gradient in node and delta symbols, ``sum delta_t * y_s``;
* ``path(w)``: the deltas unfolded into a sum over paths to the objective;
* ``gradient(w)``: the explicit expression in inputs and weights, nested as
  the network nests it (summed over the data's samples);
* ``expanded(w)``: the same, multiplied out;
* ``steps(w)``: the chain of equalities from the first to the last, unfolding
  one layer at a time, as in the seed's
  ``dy/dw9 = y3 = w5*y1 + w7*y2 = w5*(w1*x1 + w3*x2) + w7*(w2*x1 + w4*x2)``.

>>> from symgrad import examples
>>> d = derive(examples.toy())
>>> d.steps("w9")
[delta_y*y3, y3, w5*y1 + w7*y2, w5*(w1*x1 + w3*x2) + w7*(w2*x1 + w4*x2)]
>>> d.path("w1")
x1*(w10*w6 + w5*w9)
"""
from __future__ import annotations

from functools import cached_property

import sympy as sp

from ..base.limits import CHAIN_NODES, STEP_NODES, expression_nodes, substituted_nodes
from ..base.printable import Printable
from ..base.progress import phase
from ..model.graph import Network
from ..model.nodes import FUNCTION, NEURON
from ..specs.examples import as_network
from .backends import SYMBOLIC as S
from .backprop import backward_nodes, gradients_over, node_delta, node_value, parameter_gradient, partials_of, pre_activation

PATH_LIMIT = 512  # the path form is shown only below this many paths


class Derivation(Printable):
    """Every gradient of ``network``'s objective, derived exactly."""

    def __init__(self, network: Network):
        self.network = network

    # -- chain form: definitions in node symbols --------------------------
    def _symbol(self, j: int):
        return self.network.nodes[j].symbol

    @cached_property
    def forward(self) -> dict[sp.Symbol, sp.Expr]:
        """``y_j = act(sum w y)`` for every neuron and function node, in order."""
        net = self.network
        return {
            node.symbol: node_value(net, j, S, net.parameters, self._symbol, {})[1]
            for j, node in enumerate(net.nodes)
            if node.kind in (NEURON, FUNCTION)
        }

    @cached_property
    def pre(self) -> dict[sp.Symbol, sp.Expr]:
        """``z_j = sum w y`` for the neurons whose slope is written with ``z_j``."""
        net = self.network
        return {
            net.pre_symbol(j): pre_activation(net, j, S, net.parameters, self._symbol)
            for j in net.neurons
            if net.nodes[j].activation.uses_pre
        }

    @cached_property
    def deltas(self) -> dict[sp.Symbol, sp.Expr]:
        """``delta_j = act'(z_j) * (sum_e w_e delta_target + ...)`` in delta symbols."""
        net = self.network
        partials = partials_of(net, S, self._symbol, {})
        return {net.delta_symbol(j): node_delta(net, j, S, net.parameters, self._symbol, net.pre_symbol,
                                                 net.delta_symbol, partials)
                for j in backward_nodes(net)}

    def chain(self, w) -> sp.Expr:
        """``dL/dw = sum over the edges of w of delta_target * y_source``."""
        net = self.network
        return parameter_gradient(net, net.index_of(w), S, self._symbol, net.delta_symbol)

    # -- explicit form ----------------------------------------------------
    @cached_property
    def _explicit(self) -> list[sp.Expr]:
        net = self.network
        return gradients_over(net, S, net.parameters, net.samples)

    def gradient(self, w) -> sp.Expr:
        """The exact gradient with respect to ``w``, in inputs and parameters."""
        return self._explicit[self.network.index_of(w)]

    def gradients(self) -> dict[sp.Symbol, sp.Expr]:
        """Every gradient, keyed by parameter symbol, in numbering order."""
        return dict(zip(self.network.parameters, self._explicit))

    def expanded(self, w) -> sp.Expr:
        """The gradient multiplied out (a polynomial for linear networks)."""
        return sp.expand(self.gradient(w))

    # -- path form and the steps between the forms -------------------------
    @cached_property
    def _paths(self) -> dict[int, list[tuple]] | None:
        """For each live node, its delta as a list of products (one per path)."""
        net = self.network
        partials = partials_of(net, S, self._symbol, {})
        paths: dict[int, list[tuple]] = {}
        for j in backward_nodes(net):
            node = net.nodes[j]
            if j == net.objective:
                upstream = [()]
            else:
                upstream = [(net.parameters[net.edge_param[e]],) + p
                            for e in net.out_edges[j] for p in paths.get(net.edge_target[e], [])]
                upstream += [(partials(f)[k],) + p for f, k in net.consumers[j] if f in paths for p in paths[f]]
            if node.kind == NEURON:
                slope = node.activation.slope(net.pre_symbol(j), node.symbol, S)
                upstream = [(slope,) + p for p in upstream]
            if len(upstream) > PATH_LIMIT:
                return None
            paths[j] = upstream
        return paths

    def path(self, w) -> sp.Expr | None:
        """The gradient as a sum over paths from ``w`` to the objective (None
        if there are more than ``PATH_LIMIT`` paths)."""
        net, paths = self.network, self._paths
        if paths is None:
            return None
        terms = []
        for e in net.param_edges[net.index_of(w)]:
            through = sp.Add(*[sp.Mul(*p) for p in paths.get(net.edge_target[e], [])])
            terms.append(through * self._symbol(net.edge_source[e]))
        return sp.Add(*terms)

    @cached_property
    def _unfold(self) -> dict[sp.Symbol, tuple[int, sp.Expr]]:
        """Node and pre-activation symbols -> (layer, definition)."""
        net = self.network
        found = {net.nodes[j].symbol: (net.nodes[j].layer, self.forward[net.nodes[j].symbol])
                 for j, n in enumerate(net.nodes) if n.kind in (NEURON, FUNCTION)}
        for j in net.neurons:
            z = net.pre_symbol(j)
            if z in self.pre:
                found[z] = (net.nodes[j].layer, self.pre[z])
        return found

    def steps(self, w) -> list[sp.Expr]:
        """Equal expressions from the chain form to the explicit form: deltas
        unfolded first, then node values, one layer at a time.  Unfolding
        stops before a step would exceed ``limits.STEP_NODES`` nodes, or the
        steps together ``limits.CHAIN_NODES`` (a deep network's explicit form
        is exponentially long): the last step then still names values that
        the forward equations define."""
        expr = self.chain(w)
        steps = [expr]
        spent = expression_nodes([expr], CHAIN_NODES)

        def unfold(key) -> bool:
            nonlocal expr, spent
            rule, memo = self._rules[key]
            nodes = substituted_nodes(expr, rule, STEP_NODES)
            if nodes > STEP_NODES or spent + nodes > CHAIN_NODES:
                return False
            expr = substitute(expr, rule, memo)
            steps.append(expr)
            spent += nodes
            return True

        while expr.free_symbols & self.deltas.keys():
            if not unfold("deltas"):
                return _distinct(steps)
        path = self.path(w)
        if path is not None and expression_nodes([path], STEP_NODES) <= STEP_NODES:
            expr = path
            steps.append(expr)
        definitions = self._unfold
        while present := [s for s in expr.free_symbols if s in definitions]:
            if not unfold(max(definitions[s][0] for s in present)):
                break
        return _distinct(steps)

    @cached_property
    def _rules(self) -> dict:
        """The substitutions of ``steps``, each with a memo that every
        parameter's chain shares: ``"deltas"`` (every delta by its
        definition), and each layer (its values by their definitions)."""
        rules: dict = {"deltas": (dict(self.deltas), {})}
        for symbol, (layer, definition) in self._unfold.items():
            rules.setdefault(layer, ({}, {}))[0][symbol] = definition
        return rules


def substitute(expr: sp.Expr, rule: dict, memo: dict) -> sp.Expr:
    """``expr.xreplace(rule)``, each sub-expression rebuilt once for all the
    calls that share ``memo`` (the chains of many parameters share their
    sub-expressions; rebuilding a ``Max`` costs SymPy much).

    >>> x, y, z = sp.symbols("x y z")
    >>> substitute(sp.Max(0, x) * y + x, {x: y + z}, {})
    y*Max(0, y + z) + y + z
    """
    if expr in memo:
        return memo[expr]
    if expr in rule:
        result = rule[expr]
    elif not expr.args:
        result = expr
    else:
        args = [substitute(a, rule, memo) for a in expr.args]
        result = expr if all(a is b for a, b in zip(args, expr.args)) else expr.func(*args)
    memo[expr] = result
    return result


def _distinct(steps: list) -> list:
    """``steps`` without a step equal to the one before it."""
    return [s for k, s in enumerate(steps) if k == 0 or s != steps[k - 1]]


def derive(network: Network) -> Derivation:
    """Derive every gradient of ``network``'s objective exactly (reverse mode).

    >>> from symgrad import Network
    >>> derive(Network.mlp([2, 1])).gradient("w1")
    x1
    """
    network = as_network(network, "sg.derive")
    phase("deriving", f"deriving {network.parameter_count:,} gradients by reverse mode")
    return Derivation(network)



