"""The network part of a description: read it into a checked plan, then build it.

``plan_network`` reads ``name``, ``description``, ``inputs``, ``[[layers]]``,
``objective`` and ``[parameters]`` (see ``symgrad.specs.description`` for the
format) and checks everything that can be checked before building: types,
names, the order of the layers (``from``; cycles are refused), the shape of
every layer and the size of the whole.  ``build_network`` then builds the
plan; the few problems only building reveals (two nodes given one name) are
reported like the others, never raised half-way.

>>> from symgrad.base.schema import Problems, Table
>>> problems = Problems("net.toml")
>>> plan = plan_network(Table({"inputs": 2, "layers": [{"units": 2}, {"units": 1}]}, "", problems, None), problems)
>>> [(layer.name, layer.shape) for layer in plan.order]
[('layer1', (1, 2)), ('layer2', (1, 1))]
>>> build_network(plan, problems).weights
(w1, w2, w3, w4, w5, w6)
"""
from __future__ import annotations

from ..base.errors import SymgradError
from ..base.limits import check_buildable
from ..base.names import numbered
from ..base.schema import Problems, Table, show, text
from ..model.graph import Network, NetworkBuilder
from ..model.layers import attach_objective, conv1d, dense, output_names, rename_parameters
from .plans import LayerPlan, NetworkPlan, read_inputs, read_layers, read_objective, read_parameters


# -- planning ----------------------------------------------------------------------
def plan_network(top: Table, problems: Problems, default_name: str = "network") -> NetworkPlan | None:
    """Read and check the network's part of a document (None after a problem)."""
    title = top.get("name", text, default_name)
    about = top.get("description", text, "")
    inputs, assume = read_inputs(top, problems)
    layers = read_layers(top, problems)
    kind, names = read_objective(top, layers or [], problems)
    renames, shared = read_parameters(top.table("parameters", ("weights", "biases", "shared")))
    if problems or layers is None or inputs is None:
        return None
    order = order_layers(layers, problems)
    if problems:
        return None
    plan = NetworkPlan(title or default_name, about or "", inputs, assume, order, kind, names, renames, shared)
    shape_layers(plan, problems)
    if not problems:
        check_names(plan, problems)
    return None if problems else plan


# -- order and shapes ------------------------------------------------------------------
def order_layers(layers: list[LayerPlan], problems: Problems) -> list[LayerPlan]:
    """The layers in an order where every layer comes after its sources;
    records unknown sources, cycles, and layers that feed nothing."""
    by_name: dict[str, LayerPlan] = {}
    for plan in layers:
        if plan.name in by_name or plan.name == "inputs":
            problems.add(f"{plan.where}.name", f"the layer name {show(plan.name)} is taken")
        by_name[plan.name] = plan
    for plan in layers:
        for source in plan.sources:
            if source != "inputs" and source not in by_name:
                problems.add(f"{plan.where}.from", f"no layer is named {show(source)} (layers: inputs, {', '.join(by_name)})")
    if problems:
        return []
    order = _topological(layers, by_name, problems)
    if order:
        _check_consumers(order, problems)
    return order


def _topological(layers: list[LayerPlan], by_name: dict, problems: Problems) -> list[LayerPlan]:
    """Depth-first order without recursion (a file may chain thousands of layers)."""
    order, state = [], {}
    for root in layers:
        stack = [(root, iter(root.sources))]
        state.setdefault(root.name, "active")
        while stack:
            plan, sources = stack[-1]
            source = next((s for s in sources if s != "inputs"), None)
            if source is None:
                stack.pop()
                if state[plan.name] != "done":
                    state[plan.name] = "done"
                    order.append(plan)
                continue
            if state.get(source) == "active":
                trail = [p.name for p, _ in stack]
                cycle = trail[trail.index(source):] + [source]
                hint = "; a layer without from takes the layer before it" if any(
                    not by_name[n].named or len(by_name[n].sources) == 1 for n in cycle) else ""
                problems.add(f"{by_name[source].where}.from",
                             f"the layers form a cycle: {' -> '.join(reversed(cycle))}{hint}")
                return []
            if state.get(source) != "done":
                state[source] = "active"
                stack.append((by_name[source], iter(by_name[source].sources)))
    return order


def _check_consumers(order: list[LayerPlan], problems: Problems) -> None:
    used = {s for plan in order for s in plan.sources}
    for plan in order[:-1]:
        if plan.name not in used:
            problems.add(plan.where, f"layer {show(plan.name)} feeds no later layer (name it in a later layer's from)")
        if plan.type == "softmax":
            problems.add(plan.where, "a softmax layer must be the last layer")
    last = order[-1]
    if last.type == "softmax" and (len(last.sources) != 1 or last.sources == ["inputs"]):
        problems.add(f"{last.where}.from", "a softmax layer takes exactly one layer of logits")


def layer_shape(plan: LayerPlan, inputs: list[tuple[int, int]]) -> tuple[tuple[int, int], int]:
    """The (channels, positions) a layer produces from its inputs' shapes, and
    its edges.  A dense layer takes every input node; a conv1d layer slides
    over channels of equal length; a softmax keeps its input's shape."""
    o = plan.options
    if plan.type == "softmax":
        return inputs[0], 0
    if plan.type == "dense":
        width = sum(c * n for c, n in inputs)
        return (1, o["units"]), (width + o["bias"]) * o["units"]
    lengths = {n for _, n in inputs}
    if len(lengths) != 1:
        raise SymgradError(f"a conv1d layer slides over channels of one length, got lengths {sorted(lengths)}")
    length, channels = lengths.pop(), sum(c for c, _ in inputs)
    positions = length - o["size"] + 1
    if positions < 1:
        raise SymgradError(f"a filter of size {o['size']} does not fit {length} positions")
    return (o["filters"], positions), o["filters"] * positions * (channels * o["size"] + o["bias"])


def shape_layers(plan: NetworkPlan, problems: Problems) -> None:
    """Give every layer its shape; refuse impossible layers and networks too large to build."""
    shapes, nodes, edges = {"inputs": (1, len(plan.inputs))}, len(plan.inputs), 0
    for layer in plan.order:
        try:
            layer.shape, added = layer_shape(layer, [shapes[s] for s in layer.sources])
        except SymgradError as error:
            problems.add(layer.where, str(error))
            return
        shapes[layer.name] = layer.shape
        nodes, edges = nodes + layer.shape[0] * layer.shape[1], edges + added
    try:
        check_buildable(nodes, edges)
    except SymgradError as error:
        problems.add("layers", str(error))


def check_names(plan: NetworkPlan, problems: Problems) -> None:
    """Name counts that depend on the layers' sizes, reported at their keys."""
    outputs = plan.output.shape[0] * plan.output.shape[1]
    where = {"probabilities": "objective.probabilities", "targets": "objective.targets"}
    softmax = plan.order[-1] if plan.order[-1].type == "softmax" else None
    if softmax is not None and softmax.options["names"] is not None:
        where["probabilities"] = f"{softmax.where}.names"
    for key in ("probabilities", "targets"):
        given = plan.names.get(key)
        if isinstance(given, list) and len(given) != outputs:
            problems.add(where[key], f"{len(given)} names given for {outputs} {key}")
    if plan.objective == "output" and outputs == 1 and "objective" in plan.names:
        problems.add("objective.name", "with one output the objective is the output itself: name it with the "
                                       "layer's names")
    for layer in plan.order:
        given = layer.options.get("names")
        if layer.type == "dense" and isinstance(given, list) and len(given) != layer.options["units"]:
            problems.add(f"{layer.where}.names", f"{len(given)} names given for {layer.options['units']} units")


# -- building ----------------------------------------------------------------------
def build_network(plan: NetworkPlan, problems: Problems) -> Network | None:
    """Build a checked plan (None after a problem)."""
    b = NetworkBuilder(plan.title, plan.about)
    outputs = _build_layers(b, plan)
    depth = sum(layer.type != "softmax" for layer in plan.order) + 1
    try:
        objective = attach_objective(b, outputs, plan.objective, depth, plan.names)
    except SymgradError as error:
        problems.add("objective", str(error))
        return None
    for key, given in plan.renames.items():
        try:
            rename_parameters(b, {key: given})
        except SymgradError as error:
            problems.add(f"parameters.{key}", str(error))
            return None
    try:
        b.share(plan.shared)
    except SymgradError as error:
        problems.add("parameters.shared", str(error))
        return None
    try:
        return b.build(objective=objective)
    except SymgradError as error:
        problems.add("", f"{error} (choose other names: names = ... in [[layers]], [objective] or [parameters])")
        return None


def _build_layers(b: NetworkBuilder, plan: NetworkPlan) -> list[int]:
    """Build the layers in order; returns the nodes the objective takes."""
    nodes = {"inputs": [[b.input(x, **plan.assume) for x in plan.inputs]]}   # every layer's output, as channels
    b.layer("inputs", "input", [[i] for i in nodes["inputs"][0]])
    output, hidden = plan.output, 0
    for depth, layer in enumerate(plan.order, 1):
        if layer.type == "softmax":
            continue
        channels = [c for s in layer.sources for c in nodes[s]]
        o = layer.options
        if layer.type == "conv1d":
            prefix = o["names"] or ("h" if depth == 1 else f"h{depth}c")
            nodes[layer.name] = conv1d(b, channels, o["filters"], o["size"], depth, o["activation"], o["bias"], prefix)
        else:
            names = unit_names(o["names"], o["units"], hidden, plan.objective if layer is output else None)
            hidden += 0 if layer is output else o["units"]
            nodes[layer.name] = [dense(b, [n for c in channels for n in c], names, depth, o["activation"], o["bias"])]
        if layer.named:
            b.rename_layer(layer.name)
    return [n for channel in nodes[output.name] for n in channel]


def unit_names(given, units: int, hidden: int, objective: str | None) -> list[str]:
    """A dense layer's unit names: given, from a prefix, or the defaults
    (``y`` numbered across hidden layers; the output's depend on the objective).

    >>> unit_names(None, 2, 2, None), unit_names("h", 2, 0, None), unit_names(None, 3, 4, "cross_entropy")
    (['y3', 'y4'], ['h1', 'h2'], ['a1', 'a2', 'a3'])
    """
    if isinstance(given, list):
        return given
    if isinstance(given, str):
        return [given] if units == 1 and objective else numbered(given, units)
    if objective:
        return output_names(objective, units, hidden)
    return numbered("y", units, hidden + 1)
