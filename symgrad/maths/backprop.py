"""Reverse mode over the graph, written once for every maths backend.

Forward: a neuron's pre-activation is ``z_j = sum_e w_e * y_source(e)`` and its
value ``y_j = act(z_j)``; a function node applies its operation.  Backward:
``delta_j = act'(z_j) * (sum_e w_e * delta_target(e) + sum_f delta_f * df/dy_j)``
with ``delta = 1`` at the objective, and the gradient of a parameter is the sum
over its edges of ``delta_target * y_source``.  Every node and edge is visited
once per pass: the cost is linear in the size of the graph.

The same functions give the chain form (node and delta *symbols* in,
definitions out) and the explicit form (expressions in inputs and weights),
and evaluate numerically (fractions, intervals, floats).

>>> import sympy as sp
>>> from symgrad import Network
>>> from symgrad.maths.backends import SYMBOLIC
>>> net = Network.mlp([2, 2, 2, 1])
>>> grads = run(net, SYMBOLIC, net.parameters).gradients
>>> grads[0]
x1*(w10*w6 + w5*w9)
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..model.graph import Network
from ..model.nodes import BIAS, FUNCTION, INPUT, NEURON


@dataclass(frozen=True, slots=True)
class Pass:
    """One forward and backward pass: per-node values, pre-activations and
    deltas (d objective / d pre-activation), and per-parameter gradients."""

    values: list
    pres: list
    deltas: list
    gradients: list


def pre_activation(net: Network, j: int, m, params: Sequence, value: Callable[[int], object]):
    """``z_j = sum_e w_e * y_source(e)`` over the edges into neuron ``j``."""
    src, par = net.edge_source, net.edge_param
    return m.total([params[par[e]] * value(src[e]) for e in net.in_edges[j]])


def target_values(node, targets: Mapping) -> list:
    return [targets.get(t, t) for t in node.targets]


def node_value(net: Network, j: int, m, params: Sequence, value: Callable[[int], object], targets: Mapping):
    """``(z_j, y_j)`` of a neuron or function node from the values before it."""
    node = net.nodes[j]
    if node.kind == NEURON:
        z = pre_activation(net, j, m, params, value)
        return z, node.activation.value(z, m)
    args = [value(a) for a in node.args]
    uses = [value(u) if u < j else None for u in node.uses]
    return None, node.op.value(args, uses, target_values(node, targets), m)


def local_partials(net: Network, f: int, m, value: Callable[[int], object], targets: Mapping) -> tuple:
    """The partials of function node ``f`` with respect to its arguments."""
    node = net.nodes[f]
    args = [value(a) for a in node.args]
    uses = [value(u) for u in node.uses]
    return node.op.partials(args, uses, value(f), target_values(node, targets), m)


def backward_nodes(net: Network) -> list[int]:
    """The nodes a backward pass visits, last first: the neurons and function
    nodes that lie on a path to the objective (every view of a derivation
    walks this order)."""
    live = net.reaches_objective
    return [j for j in range(len(net.nodes) - 1, -1, -1) if live[j] and net.nodes[j].kind in (NEURON, FUNCTION)]


def partials_of(net: Network, m, value: Callable[[int], object], targets: Mapping) -> Callable[[int], tuple]:
    """``local_partials`` of each function node, computed once when first asked for."""
    memo: dict[int, tuple] = {}

    def partials(f: int) -> tuple:
        if f not in memo:
            memo[f] = local_partials(net, f, m, value, targets)
        return memo[f]

    return partials


def node_delta(net: Network, j: int, m, params: Sequence, value, pre, delta, partials) -> object:
    """``delta_j`` from the deltas of the nodes that consume ``j``."""
    if j == net.objective:
        upstream = m.one
    else:
        tgt, par = net.edge_target, net.edge_param
        terms = [params[par[e]] * delta(tgt[e]) for e in net.out_edges[j]]
        terms += [delta(f) * partials(f)[k] for f, k in net.consumers[j] if net.reaches_objective[f]]
        upstream = m.total(terms)
    node = net.nodes[j]
    if node.kind == NEURON:
        return node.activation.slope(pre(j), value(j), m) * upstream
    return upstream


def parameter_gradient(net: Network, p: int, m, value, delta):
    """``dL/dw_p = sum over the edges of w_p of delta_target * y_source``."""
    src, tgt = net.edge_source, net.edge_target
    return m.total([delta(tgt[e]) * value(src[e]) for e in net.param_edges[p]])


def run(net: Network, m, params: Sequence, sample: Mapping | None = None, share: bool = False) -> Pass:
    """Values, deltas and gradients at parameter values ``params`` for one
    sample (a mapping of input and target symbols to values).  ``share``: a
    neuron, delta or gradient whose inputs are the very objects another one's
    were (tied weights on copied units) takes that one's result instead of
    computing it again: exact, as every operation is a function of its inputs.

    >>> import sympy as sp
    >>> from symgrad.maths.backends import INTERVAL
    >>> net = Network.mlp([2, 2, 1], activation="tanh")
    >>> a = INTERVAL.number(sp.Rational(1, 3))
    >>> shared = run(net, INTERVAL, [a] * 6, {s: INTERVAL.number(1) for s in net.inputs}, share=True)
    >>> shared.gradients[0] is shared.gradients[1], shared.gradients[4] is shared.gradients[5]
    (True, True)
    """
    sample = sample or {}
    n = len(net.nodes)
    values, pres, deltas = [None] * n, [None] * n, [m.zero] * n
    src, tgt, par = net.edge_source, net.edge_target, net.edge_param
    memo = _Memo(share)
    for j, node in enumerate(net.nodes):
        if node.kind == INPUT:
            values[j] = sample.get(node.symbol, node.symbol)
        elif node.kind == BIAS:
            values[j] = m.one
    for j, node in enumerate(net.nodes):
        if node.kind == NEURON:
            key = (node.activation, *[(id(params[par[e]]), id(values[src[e]])) for e in net.in_edges[j]])
            pres[j], values[j] = memo(key, lambda: node_value(net, j, m, params, values.__getitem__, sample))
        elif node.kind == FUNCTION:
            pres[j], values[j] = node_value(net, j, m, params, values.__getitem__, sample)
    partials = partials_of(net, m, values.__getitem__, sample)
    for j in backward_nodes(net):
        def delta():
            return node_delta(net, j, m, params, values.__getitem__, pres.__getitem__, deltas.__getitem__, partials)
        if net.nodes[j].kind == NEURON and j != net.objective and not net.consumers[j]:
            key = ("delta", id(pres[j]), id(values[j]), *[(id(params[par[e]]), id(deltas[tgt[e]])) for e in net.out_edges[j]])
            deltas[j] = memo(key, delta)
        else:
            deltas[j] = delta()
    gradients = [memo(("gradient", *[(id(deltas[tgt[e]]), id(values[src[e]])) for e in net.param_edges[p]]),
                      lambda: parameter_gradient(net, p, m, values.__getitem__, deltas.__getitem__))
                 for p in range(net.parameter_count)]
    return Pass(values, pres, deltas, gradients)


class _Memo:
    """Results by the identities of their inputs, for one pass (the objects stay
    alive in the pass's lists, so an identity is never reused meanwhile)."""

    def __init__(self, share: bool):
        self.share, self.found = share, {}

    def __call__(self, key, compute):
        if not self.share:
            return compute()
        if key not in self.found:
            self.found[key] = compute()
        return self.found[key]


def gradients_over(net: Network, m, params: Sequence, samples: Sequence[Mapping], share: bool = False) -> list:
    """The gradient summed over ``samples`` (one pass per sample; ``share`` as for ``run``)."""
    passes = [run(net, m, params, s, share).gradients for s in samples]
    if len(passes) == 1:
        return passes[0]
    return [m.total(list(g)) for g in zip(*passes)]
