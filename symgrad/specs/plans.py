"""The network part of a description, read into plans: ``LayerPlan`` and ``NetworkPlan``
(the document's inputs, layers, objective and parameters, typed and checked key by key).

>>> assumptions(["positive", "integer"])
{'positive': True, 'integer': True}
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.facts import InconsistentAssumptions

from ..base.limits import MAX_NODES
from ..base.names import numbered
from ..base.schema import Invalid, Problems, Table, array, boolean, choice, name, names_or_prefix, positive_int, show
from ..model.activations import IDENTITY
from ..model.activations import activation as parse_activation
from ..model.layers import OBJECTIVES


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
