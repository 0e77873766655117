"""Network description files: a network, its data and its initialisation in TOML.

A complete description (JSON with the same structure is read too)::

    name = "tiny"
    inputs = 2                           # or ["u", "v"], or {count = 2, assume = "positive"}

    [[layers]]                           # layers[0]
    units = 2                            # type = "dense" is the default
    activation = "tanh"                  # identity, relu, relu:1/2, sigmoid, tanh, sigma
    bias = true

    [[layers]]                           # layers[1]
    type = "conv1d"                      # filters slid over the previous layer
    filters = 2
    size = 2

    [[layers]]
    units = 3
    names = ["a1", "a2", "a3"]           # or a prefix: names = "a"

    [[layers]]
    type = "softmax"                     # only right before a cross_entropy objective

    [objective]
    kind = "cross_entropy"               # output, squared_error, cross_entropy, perceptron
    targets = ["t1", "t2", "t3"]

    [parameters]
    shared = [["w1", "w2"]]              # one parameter on both edges (weight sharing)

    [[data]]                             # one table per sample; or data = {one_hot = [1, 3]}
    t1 = 1                               # or data = {generic = 3}
    t2 = 0
    t3 = 0

    [init]                               # or init = "constant:1/2", as on the command line
    kind = "tied"                        # constant, zero, distinct, tied, layers
    groups = [["w3", "w4"]]
    biases = "zero"

    [symbols]
    a = "positive"                       # assumptions on symbols used in values

A layer takes the previous layer as its input unless ``from`` names other
layers (``from = ["inputs", "hidden"]``, by their ``name``), so skip
connections are possible and cycles are refused.  Every problem is reported
with the file, the key and what was expected, one line each; array entries are
counted from 0.

>>> d = describe({"inputs": 2, "layers": [{"units": 2}, {"units": 2}, {"units": 1}]}, "toy.toml")
>>> d.network.weights
(w1, w2, w3, w4, w5, w6, w7, w8, w9, w10)
>>> describe({"inputs": 2, "layers": [{"units": -3}]}, "mynet.toml")
Traceback (most recent call last):
...
symgrad.errors.DescriptionError: mynet.toml: layers[0].units: expected a positive integer, got -3
"""
from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import sympy as sp
from sympy.core.facts import InconsistentAssumptions

from . import constraints
from .activations import activation as parse_activation
from .data import check_samples, generic, one_hot
from .errors import DescriptionError, SymgradError
from .graph import Network, NetworkBuilder
from .layers import (
    OBJECTIVES,
    attach_objective,
    conv1d,
    dense,
    output_names,
    rename_parameters,
)
from .limits import check_buildable
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
from .values import to_expr

NETWORK_KEYS = ("name", "description", "inputs", "layers", "objective", "parameters", "data", "init", "symbols")
EXAMPLE_KEYS = ("example", "scenarios", "analyses")  # read by symgrad.examples
LAYER_KEYS = {
    "dense": ("type", "name", "from", "units", "activation", "bias", "names"),
    "conv1d": ("type", "name", "from", "filters", "size", "activation", "bias", "names"),
    "softmax": ("type", "name", "from", "names"),
}
INIT_KINDS = ("constant", "zero", "distinct", "tied", "layers")
ASSUMPTIONS = ("positive", "negative", "nonnegative", "nonpositive", "nonzero", "real", "integer")
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Description:
    """A described network (with the description's data attached), its
    initialisation (None: not given), the symbols with assumptions, and the
    document itself."""

    network: Network
    init: constraints.Constraint | None
    symbols: Mapping[str, sp.Symbol] = field(default_factory=dict)
    document: Mapping = field(default_factory=dict, repr=False)
    source: str = "description"
    path: Path | None = None


@dataclass
class LayerPlan:
    """One ``[[layers]]`` entry, checked: what to build and from which layers."""

    index: int
    type: str
    name: str
    sources: list[str]
    options: dict


# -- reading files -------------------------------------------------------------------
def read_document(path) -> Mapping:
    """The parsed TOML (or, for ``.json``, JSON) document at ``path``."""
    path = Path(path)
    source = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DescriptionError([f"{source}: larger than {MAX_FILE_BYTES // 1_000_000} MB; is this a network description?"])
        raw = path.read_bytes()
    except OSError as error:
        raise DescriptionError([f"{source}: cannot read: {error.strerror or error}"]) from None
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DescriptionError([f"{source}: not UTF-8 text"]) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(content)
        return tomllib.loads(content)
    except json.JSONDecodeError as error:
        raise DescriptionError([f"{source}: invalid JSON: {error.msg} (at line {error.lineno}, column {error.colno})"]) from None
    except tomllib.TOMLDecodeError as error:
        raise DescriptionError([f"{source}: invalid TOML: {error}"]) from None
    except (RecursionError, ValueError) as error:
        raise DescriptionError([f"{source}: unreadable ({type(error).__name__}: {str(error)[:80]})"]) from None


def load(path) -> Description:
    """Read and check the network description at ``path`` (TOML or JSON)."""
    path = Path(path)
    return describe(read_document(path), str(path), path)


def describe(document, source: str = "description", path: Path | None = None) -> Description:
    """Check ``document`` (a parsed TOML or JSON object) and build what it describes."""
    problems = Problems(source)
    if not isinstance(document, Mapping):
        problems.add("", f"expected a table of keys (inputs, layers, ...), got {show(document)}")
        problems.check()
    top = Table(document, "", problems, NETWORK_KEYS + EXAMPLE_KEYS)
    symbols = read_symbols(top.table("symbols", None), problems)
    net = read_network(top, problems, default_name=path.stem if path else "network")
    problems.check()
    samples = read_data(top, net, symbols, problems)
    init = read_init(top, "init", net, symbols, problems)
    problems.check()
    return Description(net.with_data(samples) if samples else net, init, symbols, document, source, path)


# -- the network ------------------------------------------------------------------
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
    renames: dict            # parameter names: weights, biases
    shared: list


def read_network(top: Table, problems: Problems, default_name: str = "network") -> Network | None:
    """Build the network of a document's top table (None after a problem)."""
    plan = plan_network(top, problems, default_name)
    return build_network(plan, problems) if plan else None


def plan_network(top: Table, problems: Problems, default_name: str = "network") -> NetworkPlan | None:
    """Read and check the network's part of a document (None after a problem)."""
    title = top.get("name", text, default_name)
    about = top.get("description", text, "")
    inputs, assume = read_inputs(top, problems)
    layers = read_layers(top, problems)
    kind, names = read_objective(top, layers or [], problems)
    renames, shared = _parameter_names(top.table("parameters", ("weights", "biases", "shared")))
    if problems or layers is None or inputs is None:
        return None
    order = _order(layers, problems)
    if not problems:
        _check_size(len(inputs), order, problems)
    if problems:
        return None
    return NetworkPlan(title or default_name, about or "", inputs, assume, order, kind, names, renames, shared)


def build_network(plan: NetworkPlan, problems: Problems) -> Network | None:
    """Build a checked plan; what only building reveals (a filter too large,
    two nodes with one name) becomes a problem at its key."""
    b = NetworkBuilder(plan.title, plan.about)
    outputs = _build_layers(b, plan, problems)
    if problems:
        return None
    depth = sum(layer.type != "softmax" for layer in plan.order) + 1
    steps = (("objective", lambda: attach_objective(b, outputs, plan.objective, depth, plan.names)),
             ("parameters", lambda: rename_parameters(b, plan.renames)),
             ("parameters.shared", lambda: b.share(plan.shared)))
    results = []
    for where, step in steps:
        try:
            results.append(step())
        except SymgradError as error:
            problems.add(where, str(error))
            return None
    try:
        return b.build(objective=results[0])
    except SymgradError as error:
        problems.add("", str(error))
        return None


def read_inputs(top: Table, problems: Problems) -> tuple[list[str] | None, dict]:
    """The input names and their assumptions."""
    value = top.data.get("inputs")
    if isinstance(value, Mapping):
        table = top.table("inputs", ("count", "names", "assume"))
        assume = table.get("assume", _assumptions, {})
        if ("count" in table) == ("names" in table):
            problems.add("inputs", "give either count or names")
            return None, {}
        if "names" in table:
            return table.get("names", _name_list), assume or {}
        count = table.get("count", positive_int)
        return (numbered("x", count) if count else None), assume or {}
    if isinstance(value, list):
        return top.get("inputs", _name_list), {}
    count = top.get("inputs", _input_count)
    return (numbered("x", count) if count else None), {}


def _input_count(value) -> int:
    try:
        return positive_int(value)
    except Invalid:
        raise Invalid(f"expected a positive integer or an array of names, got {show(value)}") from None


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
        where = f"layers[{i}]"
        try:
            kind = choice(*LAYER_KEYS)(entry.get("type", "dense"))
        except Invalid as error:
            problems.add(f"{where}.type", str(error))
            continue
        table = Table(entry, where, problems, LAYER_KEYS[kind])
        plans.append(_layer_plan(table, i, kind, plans))
    return plans if len(plans) == len(raw) else None


def _layer_plan(table: Table, i: int, kind: str, earlier: list[LayerPlan]) -> LayerPlan:
    default_source = earlier[-1].name if earlier else "inputs"
    options = {"names": table.get("names", names_or_prefix, None)}
    if kind != "softmax":
        options["activation"] = table.get("activation", _activation, None)
        options["bias"] = table.get("bias", boolean, False)
    if kind == "dense":
        options["units"] = table.get("units", positive_int)
    elif kind == "conv1d":
        options["filters"] = table.get("filters", positive_int)
        options["size"] = table.get("size", positive_int)
    sources = table.get("from", _sources, [default_source])
    return LayerPlan(i, kind, table.get("name", name, f"layer{i + 1}") or f"layer{i + 1}", sources or [], options)


def _activation(value):
    if not isinstance(value, str):
        raise Invalid(f"expected an activation name such as \"tanh\", got {show(value)}")
    return parse_activation(value)


def _sources(value) -> list[str]:
    return [name(value)] if isinstance(value, str) else array(name, 1)(value)


def _order(layers: list[LayerPlan], problems: Problems) -> list[LayerPlan]:
    """The layers in an order where every layer comes after its sources;
    records unknown sources, cycles, and layers that feed nothing."""
    by_name: dict[str, LayerPlan] = {}
    for plan in layers:
        if plan.name in by_name or plan.name == "inputs":
            problems.add(f"layers[{plan.index}].name", f"the layer name {show(plan.name)} is taken")
        by_name[plan.name] = plan
    for plan in layers:
        for source in plan.sources:
            if source != "inputs" and source not in by_name:
                problems.add(f"layers[{plan.index}].from", f"no layer is named {show(source)} (layers: inputs, {', '.join(by_name)})")
    if problems:
        return []
    order, state = [], {}

    def visit(plan: LayerPlan, trail: list[str]) -> None:
        if state.get(plan.name) == "done":
            return
        if state.get(plan.name) == "active":
            cycle = trail[trail.index(plan.name):] + [plan.name]
            problems.add(f"layers[{plan.index}].from", f"the layers form a cycle: {' -> '.join(reversed(cycle))}")
            raise Invalid
        state[plan.name] = "active"
        for source in plan.sources:
            if source != "inputs":
                visit(by_name[source], trail + [plan.name])
        state[plan.name] = "done"
        order.append(plan)

    try:
        for plan in layers:
            visit(plan, [])
    except Invalid:
        return []
    _check_consumers(order, problems)
    return order


def _check_consumers(order: list[LayerPlan], problems: Problems) -> None:
    used = {s for plan in order for s in plan.sources}
    for plan in order[:-1]:
        if plan.name not in used:
            problems.add(f"layers[{plan.index}]", f"layer {show(plan.name)} feeds no later layer (name it in a later layer's from)")
        if plan.type == "softmax":
            problems.add(f"layers[{plan.index}]", "a softmax layer must be the last layer")
    last = order[-1]
    if last.type == "softmax" and (len(last.sources) != 1 or last.sources == ["inputs"]):
        problems.add(f"layers[{last.index}].from", "a softmax layer takes exactly one layer of logits")


def _edges(width: int, plan: LayerPlan) -> tuple[int, int]:
    """The edges a layer adds over ``width`` source nodes, and its width."""
    o = plan.options
    if plan.type == "dense":
        return width * o["units"] + o["units"] * o["bias"], o["units"]
    if plan.type == "conv1d":
        positions = max(width - o["size"] + 1, 0)
        return o["filters"] * positions * (o["size"] + o["bias"]), o["filters"] * positions
    return 0, width


def _check_size(inputs: int, order: list[LayerPlan], problems: Problems) -> None:
    widths, total = {"inputs": inputs}, 0
    for plan in order:
        edges, widths[plan.name] = _edges(sum(widths[s] for s in plan.sources), plan)
        total += edges
    try:
        check_buildable(sum(widths.values()), total)
    except SymgradError as error:
        problems.add("layers", str(error))


def _build_layers(b: NetworkBuilder, plan: NetworkPlan, problems: Problems) -> list[int]:
    """Build the layers in order; returns the nodes the objective takes."""
    nodes = {"inputs": [[b.input(x, **plan.assume) for x in plan.inputs]]}   # every layer's output, as channels
    b.layer("inputs", "input", [[i] for i in nodes["inputs"][0]])
    last = plan.order[-1]
    output = last if last.type != "softmax" else next(p for p in plan.order if p.name == last.sources[0])
    hidden = 0
    for depth, layer in enumerate(plan.order, 1):
        if layer.type == "softmax":
            continue
        channels = [c for s in layer.sources for c in nodes[s]]
        try:
            nodes[layer.name], hidden = _build_layer(b, layer, depth, channels, hidden, layer is output, plan.objective)
        except SymgradError as error:
            problems.add(f"layers[{layer.index}]", str(error))
            return []
    return [n for channel in nodes[output.name] for n in channel]


def _build_layer(b, plan: LayerPlan, depth: int, channels: list[list[int]], hidden: int, is_output: bool, kind: str):
    """Build one dense or conv1d layer; returns its output channels and the
    count of hidden units named so far (``y1, y2, ...`` run across layers)."""
    o = plan.options
    act = o["activation"] or parse_activation("identity")
    if plan.type == "conv1d":
        prefix = o["names"] if isinstance(o["names"], str) else ("h" if depth == 1 else f"h{depth}c")
        if isinstance(o["names"], list):
            raise SymgradError("a conv1d layer takes a prefix for its names (names = \"h\"), not a list")
        return conv1d(b, channels, o["filters"], o["size"], depth, act, o["bias"], prefix=prefix), hidden
    flat = [n for channel in channels for n in channel]
    given = o["names"]
    if isinstance(given, list):
        if len(given) != o["units"]:
            raise SymgradError(f"{len(given)} names given for {o['units']} units")
        unit_names = given
    elif isinstance(given, str):
        unit_names = [given] if o["units"] == 1 and is_output else numbered(given, o["units"])
    elif is_output:
        unit_names = output_names(kind, o["units"], hidden)
    else:
        unit_names = numbered("y", o["units"], hidden + 1)
        hidden += o["units"]
    return [dense(b, flat, unit_names, depth, act, o["bias"])], hidden


def read_objective(top: Table, layers: list[LayerPlan], problems: Problems) -> tuple[str, dict]:
    """The objective's kind and the names for ``attach_objective``."""
    value = top.data.get("objective", "output")
    softmax = next((p for p in layers if p.type == "softmax"), None)
    names: dict = {}
    if isinstance(value, Mapping):
        table = top.table("objective", ("kind", "name", "targets", "probabilities", "decision"))
        kind = table.get("kind", choice(*OBJECTIVES), "output")
        names = {"objective": table.get("name", name, None), "targets": table.get("targets", names_or_prefix, None),
                 "probabilities": table.get("probabilities", names_or_prefix, None),
                 "decision": table.get("decision", name, None)}
        for key, needs in (("probabilities", "cross_entropy"), ("decision", "perceptron")):
            if key in table and kind and kind != needs:
                problems.add(f"objective.{key}", f"only a {needs} objective has {key}")
    else:
        kind = top.get("objective", choice(*OBJECTIVES), "output")
    if softmax is not None:
        if kind != "cross_entropy":
            problems.add(f"layers[{softmax.index}]", "a softmax layer needs objective kind \"cross_entropy\" (with targets)")
        elif softmax.options["names"] is not None:
            if names.get("probabilities") is not None:
                problems.add(f"layers[{softmax.index}].names", "the probabilities are named twice (here and in objective)")
            names["probabilities"] = softmax.options["names"]
    return kind or "output", {k: v for k, v in names.items() if v is not None}


def _parameter_names(table: Table | None) -> tuple[dict, list]:
    if table is None:
        return {}, []
    renames = {key: table.get(key, names_or_prefix, None) for key in ("weights", "biases")}
    shared = table.get("shared", array(array(name, 2)), [])
    return {k: v for k, v in renames.items() if v is not None}, shared or []


# -- symbols, data, initialisation ----------------------------------------------
def read_symbols(table: Table | None, problems: Problems) -> dict[str, sp.Symbol]:
    """``[symbols]``: names with assumptions, ``a = "positive"``."""
    found: dict[str, sp.Symbol] = {}
    for key, value in (table.data.items() if table else ()):
        where = table.path(key)
        try:
            found[name(key)] = sp.Symbol(key, **_assumptions(value))
        except (Invalid, SymgradError) as error:
            problems.add(where, str(error))
        except InconsistentAssumptions:
            problems.add(where, f"contradictory assumptions: {', '.join([value] if isinstance(value, str) else value)}")
    return found


def _assumptions(value) -> dict:
    listed = [value] if isinstance(value, str) else value
    return dict.fromkeys(array(choice(*ASSUMPTIONS), 1)(listed), True)


def read_data(top: Table, net: Network, symbols: Mapping, problems: Problems) -> tuple | None:
    """The samples of ``data`` (None when there are none)."""
    return read_samples(top, "data", net, symbols, problems)


def read_samples(table: Table, key: str, net: Network, symbols: Mapping, problems: Problems) -> tuple | None:
    """Samples at ``table[key]``: an array of tables, ``{one_hot = [...]}`` or ``{generic = N}``."""
    if key not in table:
        return None
    value = table.data[key]
    if isinstance(value, Mapping):
        sub = table.table(key, ("one_hot", "generic"))
        if len(value) != 1:
            problems.add(sub.path(key) if not value else table.path(key), "give one of one_hot = [classes] or generic = N")
            return None
        if "one_hot" in value:
            classes = sub.get("one_hot", array(positive_int, 1))
            return sub.check("one_hot", classes, lambda c: one_hot(net, c)) if classes else None
        count = sub.get("generic", positive_int)
        return generic(net, count) if count else None
    samples = table.tables(key, [str(s) for s in (*net.inputs, *net.targets)])
    if samples is None:
        return None
    if not samples:
        problems.add(table.path(key), "expected at least one sample")
        return None
    parsed = [{k: table.check(f"{key}[{i}].{k}", v, lambda v: to_expr(v, symbols)) for k, v in s.data.items()
               if str(k) in s.known} for i, s in enumerate(samples)]
    if problems:
        return None
    return table.check(key, parsed, lambda p: check_samples(net, p))


def read_init(table: Table, key: str, net: Network, symbols: Mapping, problems: Problems):
    """The initialisation at ``table[key]`` (a string such as ``"constant:1/2"``,
    or a table), checked against ``net``; None when absent."""
    if key not in table:
        return None
    init = table.check(key, table.data[key], lambda v: _constraint(v, symbols))
    if init is not None:
        table.check(key, init, lambda c: c.values(net))
    return init if not problems else None


def _constraint(value, symbols: Mapping, nested: bool = False) -> constraints.Constraint:
    if isinstance(value, str):
        return _with_symbols(constraints.parse(value), symbols)
    if not isinstance(value, Mapping):
        raise Invalid(f"expected a string such as \"constant:a\" or a table with kind = ..., got {show(value)}")
    known = ("kind", "value", "groups", "values") + (() if nested else ("biases",))
    if unknown := [k for k in value if k not in known]:
        raise Invalid(f"unknown key {show(unknown[0])} (known: {', '.join(known)})")
    kind = choice(*INIT_KINDS)(value.get("kind", "constant"))
    needs = {"constant": (), "zero": (), "distinct": (), "tied": ("groups",), "layers": ("values",)}[kind]
    allowed = {"constant": ("value",), "tied": ("groups",), "layers": ("values",)}.get(kind, ())
    for k in ("value", "groups", "values"):
        if k in value and k not in allowed:
            raise Invalid(f"kind {show(kind)} takes no {k}")
        if k in needs and k not in value:
            raise Invalid(f"kind {show(kind)} needs {k}")
    biases = _constraint(value["biases"], symbols, nested=True) if "biases" in value else None
    if kind == "constant":
        made = constraints.Constant(to_expr(value.get("value", "a"), symbols))
    elif kind == "zero":
        made = constraints.Zero()
    elif kind == "distinct":
        made = constraints.Distinct()
    elif kind == "tied":
        groups = array(array(name, 2), 1)(value["groups"])
        made = constraints.Tied(tuple(tuple(g) for g in groups))
    else:
        made = constraints.PerLayer(tuple(array(lambda v: to_expr(v, symbols), 1)(value["values"])))
    return replace(made, biases=biases)


def _with_symbols(init: constraints.Constraint, symbols: Mapping) -> constraints.Constraint:
    """``init`` with its values read through ``symbols`` (so ``a`` keeps its assumptions)."""
    if isinstance(init, constraints.Constant):
        return replace(init, value=to_expr(init.value, symbols))
    if isinstance(init, constraints.PerLayer):
        return replace(init, layer_values=tuple(to_expr(v, symbols) for v in init.layer_values))
    return init
