"""Networks described as data (a dict, or JSON on the command line).

    {"name": "small", "inputs": 3,
     "layers": [{"dense": 4, "activation": "tanh", "bias": true},
                {"conv": 2, "size": 2},
                {"dense": 1}],
     "objective": "squared_error"}

A layer is ``{"dense": UNITS}`` or ``{"conv": FILTERS, "size": TAPS}``, with
optional ``activation`` (default identity) and ``bias`` (default false).
Convolution takes the previous layer's nodes as its positions.

>>> net = network_from_spec({"inputs": 2, "layers": [{"dense": 2}, {"dense": 2}, {"dense": 1}]})
>>> net.weight_count
10
>>> network_from_spec({"inputs": 2, "layers": [{"dense": 0}]})
Traceback (most recent call last):
...
symgrad.errors.SymgradError: layer 1: 'dense' must be a positive integer, got 0
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from .activations import activation as parse_activation
from .errors import SymgradError
from .graph import Network, NetworkBuilder
from .layers import OBJECTIVES, attach_objective, conv1d, dense, output_names
from .names import numbered

KEYS = {"name", "inputs", "layers", "objective", "description", "output_activation"}
LAYER_KEYS = {"dense", "conv", "size", "activation", "bias"}


def _count(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SymgradError(f"{what} must be a positive integer, got {value!r}")
    return value


def network_from_spec(spec: Mapping) -> Network:
    """Build the network a spec dict describes (see the module docstring)."""
    if not isinstance(spec, Mapping):
        raise SymgradError("a network description must be a JSON object")
    if unknown := set(spec) - KEYS:
        raise SymgradError(f"unknown key {sorted(unknown)[0]!r} in the network description (known: {', '.join(sorted(KEYS))})")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SymgradError("the network description needs a non-empty list 'layers'")
    objective = spec.get("objective", "output")
    if objective not in OBJECTIVES:
        raise SymgradError(f"unknown objective {objective!r}: choose one of {', '.join(OBJECTIVES)}")
    b = NetworkBuilder(str(spec.get("name", "network")), str(spec.get("description", "")))
    current = [b.input(x) for x in numbered("x", _count(spec.get("inputs"), "'inputs'"))]
    b.layer("inputs", "input", [[i] for i in current])
    hidden = 0
    for depth, layer in enumerate(layers, 1):
        current, hidden = _layer(b, layer, depth, current, hidden, last=depth == len(layers), spec=spec, objective=objective)
    node = attach_objective(b, current, objective, len(layers) + 1)
    return b.build(objective=node)


def _layer(b, layer, depth, sources, hidden, last, spec, objective):
    where = f"layer {depth}"
    if not isinstance(layer, Mapping):
        raise SymgradError(f"{where} must be an object such as {{\"dense\": 4}}")
    if unknown := set(layer) - LAYER_KEYS:
        raise SymgradError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    act = layer.get("activation", spec.get("output_activation", "identity") if last else "identity")
    try:
        act = parse_activation(act)
    except SymgradError as error:
        raise SymgradError(f"{where}: {error}") from None
    bias = layer.get("bias", False)
    if not isinstance(bias, bool):
        raise SymgradError(f"{where}: 'bias' must be true or false")
    if ("dense" in layer) == ("conv" in layer):
        raise SymgradError(f"{where} must have exactly one of 'dense' or 'conv'")
    if "dense" in layer:
        units = _count(layer["dense"], f"{where}: 'dense'")
        if last:
            names = output_names(objective, units, hidden)
        else:
            names = numbered("y", units, hidden + 1)
            hidden += units
        return dense(b, sources, names, depth, act, bias), hidden
    if last:
        raise SymgradError(f"{where}: the last layer must be dense")
    filters = _count(layer["conv"], f"{where}: 'conv'")
    size = _count(layer.get("size"), f"{where}: 'size'")
    channels = conv1d(b, sources, filters, size, depth, act, bias, prefix=f"h{depth}c" if depth > 1 else "h")
    return [n for channel in channels for n in channel], hidden


def load_spec(path: str) -> Network:
    """Read a JSON network description from ``path``."""
    try:
        with open(path, encoding="utf-8") as handle:
            spec = json.load(handle)
    except OSError as error:
        raise SymgradError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise SymgradError(f"{path} is not valid JSON: {error.msg} at line {error.lineno}") from None
    return network_from_spec(spec)
