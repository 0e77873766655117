"""Layer builders: dense, 1-D convolution, softmax and objectives, on a
``NetworkBuilder``; ``mlp`` assembles a fully connected network.

Weights are numbered source-major within a layer (for each source, its edges
to every unit in turn), as in the toy network of the seed:
``y1 = w1*x1 + w3*x2`` and ``y2 = w2*x1 + w4*x2``.  The functions here
only call the builder's public methods (``symgrad.model.graph`` imports
them for ``Network.mlp``).

>>> from symgrad import NetworkBuilder
>>> b = NetworkBuilder("mlp 2-2-2-1")
>>> net = b.build(objective=mlp(b, [2, 2, 2, 1]))
>>> [str(net.nodes[j].symbol) for j in net.neurons]
['y1', 'y2', 'y3', 'y4', 'y']
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..base.errors import SymgradError
from ..base.limits import check_buildable
from ..base.names import numbered
from .activations import IDENTITY, STEP, Activation, activation as parse_activation
from .ops import Apply, CrossEntropy, PerceptronCriterion, Softmax, SquaredError, Total

if TYPE_CHECKING:   # annotations only: the builder's module imports this one
    from .graph import NetworkBuilder

OBJECTIVES = ("output", "squared_error", "cross_entropy", "perceptron")


def dense(b: NetworkBuilder, sources: Sequence[int], names: Sequence[str], layer: int,
          activation: Activation = IDENTITY, bias: bool = False) -> list[int]:
    """A fully connected layer of ``len(names)`` units over ``sources``."""
    units = [b.neuron(name, layer, activation) for name in names]
    b.connect_many(np.repeat(sources, len(units)), np.tile(units, len(sources)), b.weights(len(sources) * len(units)))
    if bias:
        b.connect_many(np.full(len(units), b.bias_node), units, b.biases(len(units)))
    b.layer(f"layer {layer}", "dense", [[u] for u in units])
    return units


def conv1d(b: NetworkBuilder, channels: Sequence[Sequence[int]], filters: int, size: int, layer: int,
           activation: Activation = IDENTITY, bias: bool = False, prefix: str = "h") -> list[list[int]]:
    """``filters`` filters of ``size`` taps slid over the input ``channels``
    (each a sequence of positions; stride 1, no padding).  A filter has one
    weight per input channel and tap, shared across positions: one weight
    symbol on many edges, numbered channel, then tap, then filter.  Returns
    the nodes of each filter, by position."""
    lengths = {len(c) for c in channels}
    if len(lengths) != 1:
        raise SymgradError(f"the input channels of a convolution differ in length: {sorted(lengths)}")
    positions = lengths.pop() - size + 1
    if positions < 1:
        raise SymgradError(f"a filter of size {size} does not fit {len(channels[0])} positions")
    taps = [[[b.weight() for _ in range(filters)] for _ in range(size)] for _ in channels]
    biases = [b.bias() for _ in range(filters)] if bias else None
    outputs = []
    for f in range(filters):
        nodes = [b.neuron(f"{prefix}{f + 1}_{p + 1}", layer, activation) for p in range(positions)]
        for p, node in enumerate(nodes):
            for c, channel in enumerate(channels):
                for i in range(size):
                    b.connect(channel[p + i], node, taps[c][i][f])
            if biases:
                b.add_bias(node, biases[f])
        outputs.append(nodes)
    b.layer(f"layer {layer}", "conv", outputs)
    return outputs


def attach_objective(b: NetworkBuilder, outputs: Sequence[int], kind: str, layer: int,
              names: Mapping | None = None) -> int:
    """Attach the objective ``kind`` to ``outputs``; returns the objective node."""
    names = names or {}
    many = len(outputs) > 1
    if kind == "output":
        if not many:
            return outputs[0]
        node = b.function(names.get("objective", "L"), layer, Total(), outputs)
    elif kind == "squared_error":
        targets = [b.target(t) for t in _names(names, "targets", "t", len(outputs))]
        node = b.function(names.get("objective", "L"), layer, SquaredError(), outputs, targets=targets)
    elif kind == "cross_entropy":
        if not many:
            raise SymgradError("cross_entropy needs at least two outputs (classes)")
        targets = [b.target(t) for t in _names(names, "targets", "t", len(outputs))]
        probs = list(range(b.node_count, b.node_count + len(outputs)))
        for j, name in enumerate(_names(names, "probabilities", "p", len(outputs))):
            b.function(name, layer, Softmax(index=j), outputs, uses=probs)
        b.layer("softmax", "softmax", [[p] for p in probs])
        node = b.function(names.get("objective", "L"), layer + 1, CrossEntropy(), outputs, uses=probs, targets=targets)
    elif kind == "perceptron":
        if many:
            raise SymgradError("the perceptron criterion takes a single output")
        target = b.target(names.get("targets", "t"))
        decision = b.function(names.get("decision", "yhat"), layer, Apply(activation=STEP), outputs)
        node = b.function(names.get("objective", "L"), layer + 1, PerceptronCriterion(), outputs,
                          uses=[decision], targets=[target])
    else:
        raise SymgradError(f"unknown objective {kind!r}: choose one of {', '.join(OBJECTIVES)}")
    b.layer("objective", "objective", [[node]])
    return node


def output_names(objective: str, units: int, hidden: int) -> list[str]:
    """Default output names: ``y`` alone, ``y5 y6`` after four hidden units,
    or logits ``a1 a2 a3`` under a softmax."""
    if objective == "cross_entropy":
        return numbered("a", units)
    return ["y"] if units == 1 else numbered("y", units, hidden + 1)


def _names(names: Mapping | None, key: str, prefix: str, count: int, start: int = 1) -> list[str]:
    given = (names or {}).get(key)
    if given is None or isinstance(given, str):
        prefix = given or prefix
        return [prefix] if count == 1 and key in ("targets", "outputs") else numbered(prefix, count, start)
    given = list(given)
    if len(given) != count:
        raise SymgradError(f"{len(given)} names given for {count} {key}")
    return given


def mlp_sizes(sizes: Sequence[int]) -> list[int]:
    """``sizes`` as integers, checked: at least two layers of at least one unit."""
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise SymgradError(f"an MLP needs at least two layers of at least one unit, got {sizes}")
    return sizes


def mlp(b: NetworkBuilder, sizes: Sequence[int], activation="identity", bias: bool = False, objective: str = "output",
        output_activation=None, names: Mapping | None = None, input_assumptions: Mapping | None = None) -> int:
    """Add a fully connected network to ``b``: ``sizes`` = units per layer,
    inputs first; returns the objective node.

    ``names`` overrides default names: ``inputs``, ``hidden``, ``outputs``,
    ``weights``, ``biases``, ``targets``, ``probabilities``, ``objective``
    (a list of names, or a prefix).
    """
    sizes = mlp_sizes(sizes)
    check_buildable(sum(sizes), sum(a * b for a, b in zip(sizes, sizes[1:])) + bias * sum(sizes[1:]))
    kind = objective
    hidden_act = parse_activation(activation)
    out_act = parse_activation(output_activation) if output_activation else IDENTITY
    inputs = [b.input(x, **(input_assumptions or {})) for x in _names(names, "inputs", "x", sizes[0])]
    b.layer("inputs", "input", [[i] for i in inputs])
    hidden_names = _names(names, "hidden", "y", sum(sizes[1:-1]))
    if (names or {}).get("outputs") is not None:
        out_names = _names(names, "outputs", "y", sizes[-1])
    else:
        out_names = output_names(kind, sizes[-1], len(hidden_names))
    layer, start = inputs, 0
    for depth, width in enumerate(sizes[1:-1], 1):
        layer = dense(b, layer, hidden_names[start:start + width], depth, hidden_act, bias)
        start += width
    outputs = dense(b, layer, out_names, len(sizes) - 1, out_act, bias)
    node = attach_objective(b, outputs, kind, len(sizes), names)
    rename_parameters(b, names)
    return node


def rename_parameters(b: NetworkBuilder, names: Mapping | None) -> None:
    """Apply ``names["weights"]`` and ``names["biases"]`` to the builder."""
    given = {key: (names or {}).get(key) for key in ("weights", "biases")}
    b.rename(*(None if given[key] is None else _names(names, key, "", count)
               for key, count in (("weights", b.weight_total), ("biases", b.bias_total))))
