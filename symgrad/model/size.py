"""What a network costs: sizes measured against the limits of ``symgrad.base.limits``.

The algebraic engine builds exact expressions whose cost grows with the
graph times the samples; ``check_size`` refuses work beyond a limit (raise
it with ``max_size``, or use the structural engine, which scales to millions
of weights).

>>> from symgrad import Network
>>> work_size(Network.mlp([2, 2, 2, 1]))
15
>>> check_size(Network.mlp([100, 100, 1]), limit=5000)
Traceback (most recent call last):
...
symgrad.base.errors.SymgradError: 'mlp 100-100-1' is too large for the algebraic engine (size 10,201 > limit 5,000: edges and neurons times samples); use the structural engine (--engine structural), or raise the limit (--max-size)
"""
from __future__ import annotations

import numpy as np

from ..base.errors import SymgradError
from ..base.limits import (ALGEBRAIC_DEPTH, ALGEBRAIC_LIMIT, BIAS_COST, KINK_COST, MAX_SAMPLE_VALUES, PRODUCT_COST, NONLINEAR_COST, REPORT_PARAMETERS, ROUND_COST, STRUCTURAL_WORK)
from ..base.schema import elide
from .nodes import FUNCTION, NEURON


def cost_factor(net) -> int:
    """How much more than a linear network each edge and neuron costs the algebraic engine:
    ``NONLINEAR_COST`` with a non-polynomial activation, times ``BIAS_COST`` with biases too,
    times ``KINK_COST`` for every layer of kinks (relu), times the square of the
    classes of a softmax behind non-polynomial hidden units (every logit's gradient
    carries every class's probability through them), or, for a softmax reading
    products of values as attention's scores are, ``PRODUCT_COST`` times the square
    of its positions.

    >>> from symgrad import Network
    >>> [cost_factor(Network.mlp([2, 2, 1], activation=a)) for a in ("identity", "tanh", "relu")]
    [1, 4, 64]
    >>> cost_factor(Network.mlp([2, 2, 10], activation="tanh", objective="cross_entropy"))
    400
    """
    factor = 1
    for times, _ in _cost_reasons(net):
        factor *= times
    return factor


def _cost_reasons(net) -> list[tuple[int, str]]:
    hidden = any(not net.nodes[j].activation.polynomial for j in net.neurons)
    functions = [node for node in net.nodes if node.kind == FUNCTION and not node.op.polynomial]
    if not hidden and not functions:
        return []
    reasons = [(NONLINEAR_COST * (BIAS_COST if net.bias_count else 1),
                "non-polynomial activations with biases" if net.bias_count else "non-polynomial activations")]
    kinked = len({net.nodes[j].layer for j in net.neurons if net.nodes[j].activation.kink})
    if kinked:
        reasons.append((KINK_COST * kinked, f"{kinked} layer{'s' * (kinked > 1)} of kinks (relu), whose sign cases multiply"))
    classes = max((len(node.args) for node in functions), default=0)
    if hidden and classes > 1:
        reasons.append((classes * classes, f"a softmax over {classes} classes behind them (the square of the classes)"))
    elif classes > 1 and any(node.kind == FUNCTION and node.op.name == "product" for node in net.nodes):
        reasons.append((PRODUCT_COST * classes * classes, f"a softmax over {classes} positions reading products of "
                        "values (attention: the square of the positions, and the products)"))
    return reasons


def work_size(net) -> int:
    """What the algebraic engine expands: (edges + neurons) times samples,
    times the ``cost_factor`` of the activations and biases."""
    return (net.edge_count + len(net.neurons)) * len(net.samples) * cost_factor(net)


def depth(net, limit: int | None = None) -> int:
    """The number of neurons on the longest path from an input to the objective,
    by relaxation over the edge arrays (a vectorised pass per layer of depth);
    beyond ``limit``, ``limit + 1`` (the passes stop there).

    >>> from symgrad import Network
    >>> depth(Network.mlp([3, 4, 4, 1])), depth(Network.mlp([3, 4, 4, 1]), limit=1)
    (3, 2)
    """
    src, tgt, _ = net.edge_arrays
    args = [(a, j) for j, node in enumerate(net.nodes) for a in node.args]
    if args:
        src, tgt = np.concatenate([src, [a for a, _ in args]]), np.concatenate([tgt, [j for _, j in args]])
    order = np.argsort(tgt, kind="stable")
    src, tgt = src[order], tgt[order]
    heads = np.flatnonzero(np.concatenate([[True], tgt[1:] != tgt[:-1]])) if len(tgt) else np.zeros(0, np.int64)
    neuron = np.fromiter((node.kind == NEURON for node in net.nodes), np.int64, len(net.nodes))
    longest = neuron.copy()
    cap = len(net.nodes) if limit is None else limit + 1
    for _ in range(cap):
        before = np.zeros(len(net.nodes), np.int64)
        if len(heads):
            before[tgt[heads]] = np.maximum.reduceat(longest[src], heads)
        new = before + neuron
        if (new == longest).all():
            return int(longest[net.objective])
        longest = new
    return min(int(longest[net.objective]), cap)


def check_size(net, limit: int | None = None) -> None:
    """Refuse a network too large or too deep for exact expressions (``limit``
    None: the default size limit; it scales the depth limit too)."""
    limit = ALGEBRAIC_LIMIT if limit is None else limit
    size = work_size(net)
    hint = "use the structural engine (--engine structural), or raise the limit (--max-size)"
    if size > limit:
        reasons = _cost_reasons(net)
        weighted = f", times {cost_factor(net)} for {' and '.join(why for _, why in reasons)}" if reasons else ""
        raise SymgradError(f"{elide(repr(net.name))} is too large for the algebraic engine (size {size:,} > limit "
                           f"{limit:,}: edges and neurons times samples{weighted}); {hint}")
    allowed = ALGEBRAIC_DEPTH * limit / ALGEBRAIC_LIMIT
    counted = max(25 * ALGEBRAIC_DEPTH, int(allowed))               # layers counted exactly (a pass each)
    deepest = depth(net, limit=counted)
    if deepest > allowed:
        layers = f"{deepest:,}" if deepest <= counted else f"more than {counted:,}"
        raise SymgradError(f"{elide(repr(net.name))} is too deep for the algebraic engine ({layers} layers of neurons; "
                           f"expressions nest once per layer); {hint}")




def check_report_size(net) -> None:
    """Refuse a report on more than ``REPORT_PARAMETERS`` parameters at once
    (its source would run to megabytes; ``prove`` summarises large networks).

    >>> from symgrad import Network
    >>> check_report_size(Network.mlp([100, 30, 1]))
    Traceback (most recent call last):
    ...
    symgrad.base.errors.SymgradError: a report shows every parameter with its gradient: at most 2,000 parameters, and 'mlp 100-30-1' has 3,030; symgrad prove summarises a large network (classes by size)
    """
    if net.parameter_count > REPORT_PARAMETERS:
        raise SymgradError(f"a report shows every parameter with its gradient: at most {REPORT_PARAMETERS:,} "
                           f"parameters, and {net.name!r} has {net.parameter_count:,}; symgrad prove summarises a "
                           "large network (classes by size)")


def check_sample_count(net, count: int) -> int:
    """``count``, unless that many samples of ``net`` would hold more than
    ``MAX_SAMPLE_VALUES`` values (checked before any sample is made).

    >>> from symgrad import Network
    >>> check_sample_count(Network.mlp([1000, 1]), 500)
    Traceback (most recent call last):
    ...
    symgrad.base.errors.SymgradError: 500 samples of 1,000 inputs and targets would hold 500,000 values, more than symgrad builds (200,000)
    """
    per_sample = len(net.inputs) + len(net.targets)
    if count * per_sample > MAX_SAMPLE_VALUES:
        raise SymgradError(f"{count:,} samples of {per_sample:,} inputs and targets would hold "
                           f"{count * per_sample:,} values, more than symgrad builds ({MAX_SAMPLE_VALUES:,})")
    return count




def check_structural(net) -> None:
    """Refuse a network whose colour refinement would take minutes: it may take
    a round per layer of depth, each over the whole graph plus a fixed cost
    (``ROUND_COST``): 10,000 layers of one unit take about 8 s, 10^7 weights in
    one hidden layer about 10 s."""
    size = len(net.nodes) + net.edge_count + ROUND_COST
    rounds = depth(net, limit=max(STRUCTURAL_WORK // size - 2, 0)) + 2
    work = rounds * size
    if work > STRUCTURAL_WORK:
        raise SymgradError(f"{elide(repr(net.name))} is too deep for the structural engine: {rounds - 2:,} layers of "
                           f"neurons times {len(net.nodes) + net.edge_count:,} nodes and edges (and {ROUND_COST:,} "
                           f"for each round) is {work:,}, more than {STRUCTURAL_WORK:,} (colour refinement may take "
                           "a round per layer over the whole graph); use fewer layers")


