"""Examples: a described network and the questions asked of it.

An example is a network description file (``symgrad.specs.description``) with
three more parts: ``[example]`` (a ``title``, a one-line ``summary``, the
``question``; ``seed`` names a source and is never printed), ``[[scenarios]]`` (an ``init``,
optional ``data``, ReLU slopes at 0 to compare as ``conventions``, another
``network`` file, ``unroll`` steps to show, a ``remark``, ``symbols``) and
``[[analyses]]`` (``kind = "quotient"``, ``"trace"``, ``"linearise"`` or
``"learning_rate"``).  The built-in examples are the files in the
repository's ``examples/`` folder, read by the same reader as a user's file;
``load(path)`` reads any other.  Nothing here computes a result: the engines
do, so every claim in a report is derived, not written down.

>>> names()
['toy', 'softmax_ce', 'softmax_ce_hidden', 'relu', 'sigma_mlp', 'conv_filters', 'perceptron']
>>> get("toy").weights
(w1, w2, w3, w4, w5, w6, w7, w8, w9, w10)
>>> example("toy").scenarios[0].init
<Constant: every weight equal to a>
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from os import PathLike
from pathlib import Path

from ..base.errors import SymgradError
from ..base.limits import MAX_STEPS, MAX_TRACE_STEPS
from ..base.schema import (
    Invalid,
    Problems,
    Table,
    array,
    at_most,
    choice,
    elide,
    name,
    show,
    text,
)
from ..base.values import to_expr
from ..model.constraints import Constant, Constraint
from ..model.data import check_samples
from ..model.graph import Network
from ..model.swaps import point_values, unit_swap
from . import description

BUILT_IN = ("toy", "softmax_ce", "softmax_ce_hidden", "relu", "sigma_mlp", "conv_filters", "perceptron")
SCENARIO_KEYS = ("title", "init", "data", "conventions", "network", "unroll", "remark", "symbols")
ANALYSIS_KEYS = {"quotient": (), "trace": ("steps",), "linearise": ("units", "point", "lrs", "data"),
                 "learning_rate": ("steps",)}


@dataclass(frozen=True)
class Scenario:
    """One question asked of an example: an initialisation, and optionally
    data (built from the network), ReLU slopes at 0 to compare, a different
    network, and a number of unrolled steps to show."""

    title: str
    init: Constraint
    data: Callable[[Network], tuple] | None = None
    conventions: tuple = ()
    network: Callable[[], Network] | None = None
    unroll: int = 0
    remark: str = ""


@dataclass(frozen=True)
class Example:
    """A built-in example: its network, the discussion it answers, its scenarios."""

    name: str
    summary: str
    build: Callable[[], Network]
    seed: str
    question: str
    scenarios: tuple[Scenario, ...]
    analyses: tuple = field(default=())
    path: Path | None = None
    symbols: dict = field(default_factory=dict)   # names with assumptions, for values given later
    title: str = ""                                 # the report's title (default: the summary)

    @property
    def init(self) -> Constraint:
        """The default initialisation (the first scenario's)."""
        return self.scenarios[0].init


@dataclass(frozen=True)
class Quotient:
    """Show the quotient network of the first scenario (one unit per class)."""


@dataclass(frozen=True)
class Trace:
    """Show a numeric training trace of the first scenario (needs matplotlib)."""

    steps: int = 30


@dataclass(frozen=True)
class Linearise:
    """Linearise gradient descent at a tied ``point`` around swapping two units."""

    units: tuple
    point: dict
    lrs: tuple
    data: tuple


@dataclass(frozen=True)
class LearningRate:
    """The perceptron's learning-rate theorem (zero init) and a counterexample (nonzero init)."""

    steps: int = 3


def example_dir() -> Path:
    """The folder of the built-in example files: installed with the package
    (``symgrad/example_files``), or the ``examples/`` folder of a checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "example_files"
    return installed if installed.is_dir() else package.parent / "examples"


def load(path) -> Example:
    """The example a description file describes (a file without scenarios
    gets one: its own initialisation, or every weight equal to ``a``)."""
    path = Path(path)
    found = description.load(path)
    problems = Problems(str(path))
    top = Table(found.document, "", problems, None)
    about = top.table("example", ("title", "summary", "seed", "question"))
    get = (lambda key: about.get(key, text, "") or "") if about else (lambda key: "")
    scenarios = _scenarios(top, found, problems)
    analyses = [_analysis(t, found.network, problems) for t in top.tables("analyses", None) or []]
    problems.check()
    net = found.network
    return Example(net.name, get("summary") or net.description or net.name, lambda: net, get("seed"),
                   get("question"), tuple(scenarios), tuple(analyses), path, found.symbols, get("title"))


def _scenarios(top: Table, found, problems: Problems) -> list[Scenario]:
    tables = top.tables("scenarios", SCENARIO_KEYS)
    if not tables:
        init = found.init or Constant("a")
        return [Scenario(init.describe().capitalize(), init)]
    return [s for s in (_scenario(t, found, problems) for t in tables) if s]


def _scenario(table: Table, found, problems: Problems) -> Scenario | None:
    other = table.get("network", _relative_path(found.path), None)
    net = found.network
    if other is not None:
        try:
            net = description.load(other).network
        except SymgradError as error:
            problems.add(table.path("network"), str(error).splitlines()[0])
            return None
    symbols = {**found.symbols, **description.read_symbols(table, "symbols", net, problems)}
    init = description.read_init(table, "init", net, symbols, problems) or found.init or Constant("a")
    samples = description.read_samples(table, "data", net, symbols, problems)
    conventions = table.get("conventions", array(to_expr, 1), ())
    return Scenario(
        title=table.get("title", text, "") or init.describe().capitalize(), init=init,
        data=(lambda _net, s=samples: s) if samples else None, conventions=tuple(conventions or ()),
        network=(lambda n=net: n) if other is not None else None,
        unroll=table.get("unroll", at_most(MAX_STEPS), 0) or 0, remark=table.get("remark", text, "") or "")


def _relative_path(base: Path | None) -> Callable:
    def check(value) -> Path:
        if not isinstance(value, str) or not value.lower().endswith((".toml", ".json")):
            raise Invalid(f"expected a description file name such as \"other.toml\", got {show(value)}")
        return (base.parent if base else Path.cwd()) / value
    return check


def _analysis(table: Table, net: Network, problems: Problems):
    kind = table.get("kind", choice(*ANALYSIS_KEYS))
    if kind is None:
        return None
    Table(table.data, table.where, problems, ("kind",) + ANALYSIS_KEYS[kind])
    if kind == "quotient":
        return Quotient()
    if kind == "trace":
        return Trace(table.get("steps", at_most(MAX_TRACE_STEPS), 30) or 30)
    if kind == "learning_rate":
        return LearningRate(table.get("steps", at_most(MAX_STEPS), 3) or 3)
    units = table.get("units", lambda u: _unit_pair(net, u))
    point = table.get("point", lambda p: _point(net, p))
    lrs = table.get("lrs", array(to_expr, 1))
    data = table.get("data", lambda d: check_samples(net, array(_sample_table, 1)(d)), ())
    return Linearise(tuple(units or ()), point or {}, tuple(lrs or ()), tuple(data or ()))


def _unit_pair(net: Network, value) -> tuple[str, str]:
    units = array(name, 2)(value)
    if len(units) != 2:
        raise Invalid(f"expected two units, got {len(units)}")
    unit_swap(net, *units)   # raises unless the two units can be swapped
    return tuple(units)


def _sample_table(value) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"expected a table of input and target values, got {show(value)}")
    return value


def _point(net: Network, point) -> dict:
    if not isinstance(point, dict):
        raise Invalid(f"expected a table of parameter values, got {show(point)}")
    point_values(net, point)   # raises unless every parameter has a number
    return {key: to_expr(v) for key, v in point.items()}


@cache
def registry() -> dict[str, Example]:
    """The built-in examples, by name, read from their files."""
    return {n: load(example_dir() / f"{n}.toml") for n in BUILT_IN}


def names() -> list[str]:
    """The names of the built-in examples."""
    return list(BUILT_IN)


def example(ref: str) -> Example:
    """The built-in example called ``ref``, or the example in the file ``ref``."""
    if ref in BUILT_IN:
        return registry()[ref]
    if ref.lower().endswith((".toml", ".json")) or "/" in ref:
        return load(ref)
    raise SymgradError(f"unknown example {elide(repr(ref))}: choose one of {', '.join(BUILT_IN)}, or give a .toml file")


def get(ref: str) -> Network:
    """The network of the built-in example (or description file) ``ref``."""
    return example(ref).build()


def as_network(value, caller: str = "this function") -> Network:
    """What a user may pass where a network is expected: a ``Network``, a
    built-in example's name or a description file's path; anything else is
    refused at once with a TypeError that says what is accepted.

    >>> as_network("toy").weight_count
    10
    >>> as_network(3, "sg.prove")
    Traceback (most recent call last):
    ...
    TypeError: sg.prove takes a Network, a built-in example's name (sg.examples.names()) or a description file's path, not int
    """
    if isinstance(value, Network):
        return value
    if isinstance(getattr(value, "network", None), Network):    # a description, an imported torch model
        return value.network
    if isinstance(value, (str, PathLike)):
        return example(str(value)).build()
    kind = type(value).__name__
    hint = ("; a PyTorch module is analysed with sg.lint(model, example_inputs), or converted to a Network "
            "with sg.from_torch(model, example_inputs) when it is small"
            if any(c.__module__.startswith("torch") for c in type(value).__mro__) else "")
    raise TypeError(f"{caller} takes a Network, a built-in example's name (sg.examples.names()) or a description "
                    f"file's path, not {kind}{hint}")


def __getattr__(attribute: str):
    """``examples.toy()`` and the like: the network builders of the built-in examples;
    ``examples.REGISTRY``: every built-in example by name."""
    if attribute == "REGISTRY":
        return registry()
    if attribute in BUILT_IN:
        return example(attribute).build
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
