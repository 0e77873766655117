"""The network part of a description: read it into a checked plan, then build it.

``plan_network`` reads ``name``, ``description``, ``inputs``, ``[[layers]]``,
``objective`` and ``[parameters]`` (see ``symgrad.description`` for the
format) and checks everything that can be checked before building: types,
names, the order of the layers (``from``; cycles are refused), the shape of
every layer and the size of the whole.  ``build_network`` then builds the
plan; the few problems only building reveals (two nodes given one name) are
reported like the others, never raised half-way.

>>> from symgrad.schema import Problems, Table
>>> problems = Problems("net.toml")
>>> plan = plan_network(Table({"inputs": 2, "layers": [{"units": 2}, {"units": 1}]}, "", problems, None), problems)
>>> [(layer.name, layer.shape) for layer in plan.order]
[('layer1', (1, 2)), ('layer2', (1, 1))]
>>> build_network(plan, problems).weights
(w1, w2, w3, w4, w5, w6)
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import sympy as sp
from sympy.core.facts import InconsistentAssumptions

from .activations import IDENTITY
from .activations import activation as parse_activation
from .errors import SymgradError
from .graph import Network, NetworkBuilder
from .layers import (
    OBJECTIVES,
    attach_objective,
    conv1d,
    dense,
    output_names,
    rename_parameters,
)
from .limits import MAX_NODES, check_buildable
from .names import numbered
from .schema import (
    Invalid,
    Problems,
    Table,
    array,
    boolean,
    choice,
    name,
    names_or_prefix,
    positive_int,
    show,
    text,
)

LAYER_KEYS = {
    "dense": ("type", "name", "from", "units", "activation", "bias", "names"),
    "conv1d": ("type", "name", "from", "filters", "size", "activation", "bias", "names"),
    "softmax": ("type", "name", "from", "names"),
}
OBJECTIVE_KEYS = ("kind", "name", "targets", "probabilities", "decision")
ASSUMPTIONS = ("positive", "negative", "nonnegative", "nonpositive", "nonzero", "real", "integer")


@dataclass
class LayerPlan:
    """One ``[[layers]]`` entry, checked: what to build, from which layers,
    and its shape (channels, positions per channel)."""

    index: int
    type: str
    name: str
    sources: list[str]
    options: dict
    named: bool = False          # the file gave the layer a name
    shape: tuple[int, int] = (1, 0)

    @property
    def where(self) -> str:
        return f"layers[{self.index}]"


@dataclass
class NetworkPlan:
    """A checked description of a network: everything needed to build it."""

    title: str
    about: str
    inputs: list[str]
    assume: dict
    order: list[LayerPlan]   # every layer after its sources
    objective: str
    names: dict              # for attach_objective: objective, targets, probabilities, decision
    renames: dict = field(default_factory=dict)   # parameter names: weights, biases
    shared: list = field(default_factory=list)

    @property
    def output(self) -> LayerPlan:
        """The layer the objective takes (the logits, under a softmax)."""
        last = self.order[-1]
        return last if last.type != "softmax" else next(p for p in self.order if p.name == last.sources[0])


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


def read_inputs(top: Table, problems: Problems) -> tuple[list[str] | None, dict]:
    """The input names and their assumptions."""
    value = top.data.get("inputs")
    if not isinstance(value, Mapping):
        if isinstance(value, list):
            return top.get("inputs", _name_list), {}
        count = top.get("inputs", _input_count)
        return (numbered("x", count) if count else None), {}   # _input_count bounds the count
    table = top.table("inputs", ("count", "names", "assume"))
    assume = table.get("assume", assumptions, {}) or {}
    if ("count" in table) == ("names" in table):
        problems.add("inputs", "give either count or names")
        return None, {}
    if "names" in table:
        return table.get("names", _name_list), assume
    count = table.get("count", _bounded_inputs)
    return (numbered("x", count) if count else None), assume


def assumptions(value) -> dict:
    """``"positive"`` or ``["positive", "integer"]`` as SymPy assumptions, checked for consistency."""
    listed = [value] if isinstance(value, str) else value
    found = dict.fromkeys(array(choice(*ASSUMPTIONS), 1)(listed), True)
    try:
        sp.Symbol("probe", **found)
    except InconsistentAssumptions:
        raise Invalid(f"contradictory assumptions: {', '.join(found)}") from None
    return found


def _input_count(value) -> int:
    try:
        count = positive_int(value)
    except Invalid:
        raise Invalid(f"expected a positive integer or an array of names, got {show(value)}") from None
    return _bounded_inputs(count)


def _bounded_inputs(value) -> int:
    """A count of inputs, refused before any name is made if it exceeds what symgrad builds."""
    count = positive_int(value)
    if count > MAX_NODES:
        raise Invalid(f"expected at most {MAX_NODES:,} inputs (the most nodes symgrad builds), got {count:,}")
    return count


def _name_list(value) -> list[str]:
    names = names_or_prefix(value)
    if isinstance(names, str):
        raise Invalid(f"expected an array of names, got {show(value)}")
    return names


def read_layers(top: Table, problems: Problems) -> list[LayerPlan] | None:
    """The checked ``[[layers]]`` entries (None after a problem)."""
    if "layers" not in top:
        problems.add("layers", "missing: describe at least one layer ([[layers]] with units = N)")
        return None
    raw = top.data["layers"]
    if not isinstance(raw, list) or not raw or not all(isinstance(r, Mapping) for r in raw):
        problems.add("layers", f"expected a non-empty array of tables ([[layers]]), got {show(raw)}")
        return None
    plans = []
    for i, entry in enumerate(raw):
        try:
            kind = choice(*LAYER_KEYS)(entry.get("type", "dense"))
        except Invalid as error:
            problems.add(f"layers[{i}].type", str(error))
            continue
        plans.append(_layer_plan(Table(entry, f"layers[{i}]", problems, LAYER_KEYS[kind]), i, kind, plans))
    return plans if len(plans) == len(raw) else None


def _layer_plan(table: Table, i: int, kind: str, earlier: list[LayerPlan]) -> LayerPlan:
    options = {"names": table.get("names", names_or_prefix, None)}
    if kind != "softmax":
        options["activation"] = table.get("activation", _activation, None) or IDENTITY
        options["bias"] = table.get("bias", boolean, False)
    if kind == "dense":
        options["units"] = table.get("units", positive_int)
    elif kind == "conv1d":
        options["filters"] = table.get("filters", positive_int)
        options["size"] = table.get("size", positive_int)
        if isinstance(options["names"], list):
            table.problems.add(table.path("names"), "a conv1d layer takes a prefix (names = \"h\"), not a list")
    sources = table.get("from", _sources, [earlier[-1].name if earlier else "inputs"]) or []
    given = table.get("name", name, None)
    return LayerPlan(i, kind, given or f"layer{i + 1}", sources, options, named=given is not None)


def _activation(value):
    if not isinstance(value, str):
        raise Invalid(f"expected an activation name such as \"tanh\", got {show(value)}")
    return parse_activation(value)


def _sources(value) -> list[str]:
    sources = [name(value)] if isinstance(value, str) else array(name, 1)(value)
    if len(set(sources)) != len(sources):
        raise Invalid(f"the layer {show(next(s for s in sources if sources.count(s) > 1))} is named twice")
    return sources


def read_objective(top: Table, layers: list[LayerPlan], problems: Problems) -> tuple[str, dict]:
    """The objective's kind and the names for ``attach_objective``."""
    value = top.data.get("objective", "output")
    names: dict = {}
    if isinstance(value, Mapping):
        table = top.table("objective", OBJECTIVE_KEYS)
        kind = table.get("kind", choice(*OBJECTIVES), "output")
        names = {"objective": table.get("name", name, None), "targets": table.get("targets", names_or_prefix, None),
                 "probabilities": table.get("probabilities", names_or_prefix, None),
                 "decision": table.get("decision", name, None)}
        for key, needs in (("probabilities", ("cross_entropy",)), ("decision", ("perceptron",)),
                           ("targets", ("squared_error", "cross_entropy", "perceptron"))):
            if key in table and kind and kind not in needs:
                problems.add(f"objective.{key}", f"the {kind} objective has no {key}")
        if kind == "perceptron" and isinstance(names["targets"], list):
            if len(names["targets"]) != 1:
                problems.add("objective.targets", f"a perceptron has one target, got {len(names['targets'])} names")
            names["targets"] = names["targets"][0]
    else:
        kind = top.get("objective", choice(*OBJECTIVES), "output")
    softmax = next((p for p in layers if p.type == "softmax"), None)
    if softmax is not None:
        if kind != "cross_entropy":
            problems.add(softmax.where, "a softmax layer needs objective kind \"cross_entropy\" (with targets)")
        elif softmax.options["names"] is not None:
            if names.get("probabilities") is not None:
                problems.add(f"{softmax.where}.names", "the probabilities are named twice (here and in objective)")
            names["probabilities"] = softmax.options["names"]
    return kind or "output", {k: v for k, v in names.items() if v is not None}


def read_parameters(table: Table | None) -> tuple[dict, list]:
    """``[parameters]``: names for the weights and biases, and the shared groups."""
    if table is None:
        return {}, []
    renames = {key: table.get(key, names_or_prefix, None) for key in ("weights", "biases")}
    shared = table.get("shared", array(name_group, 1), []) or []
    return {k: v for k, v in renames.items() if v is not None}, shared


def name_group(value) -> list[str]:
    """Two or more different names (a shared or tied group)."""
    members = array(name, 2)(value)
    if len(set(members)) != len(members):
        raise Invalid(f"{next(m for m in members if members.count(m) > 1)} is repeated within a group")
    return members


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
            b.layers[-1] = replace(b.layers[-1], name=layer.name)
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
