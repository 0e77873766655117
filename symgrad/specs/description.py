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
symgrad.base.errors.DescriptionError: mynet.toml: layers[0].units: expected a positive integer, got -3
"""
from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import sympy as sp

from ..base.errors import DescriptionError, SymgradError
from ..base.limits import MAX_SAMPLES
from ..base.names import character_name
from ..base.printable import Printable
from ..base.schema import Invalid, Problems, Table, array, choice, elide, elide_path, name, positive_int, show
from ..base.values import to_expr
from ..model import constraints
from ..model.data import check_samples, generic, one_hot
from ..model.graph import Network
from ..model.size import check_sample_count
from .blueprint import build_network, plan_network
from .plans import assumptions, name_group

NETWORK_KEYS = ("name", "description", "inputs", "layers", "objective", "parameters", "data", "init", "symbols")
EXAMPLE_KEYS = ("example", "scenarios", "analyses")  # read by symgrad.specs.examples
INIT_KINDS = ("constant", "zero", "distinct", "tied", "layers")
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True, repr=False)
class Description(Printable):
    """A described network (with the description's data attached), its
    initialisation (None: not given), the symbols with assumptions, and the
    document itself."""

    network: Network
    init: constraints.Constraint | None
    symbols: Mapping[str, sp.Symbol] = field(default_factory=dict)
    document: Mapping = field(default_factory=dict, repr=False)
    source: str = "description"
    path: Path | None = None


# -- reading files -------------------------------------------------------------------
def read_document(path) -> Mapping:
    """The parsed TOML (or, for ``.json``, JSON) document at ``path``: a regular
    file (after following symlinks) of at most ``MAX_FILE_BYTES``, read without
    trusting its reported size (``/dev/zero``, a FIFO and a folder are refused
    before anything is read); a UTF-8 byte-order mark at its start is skipped."""
    path = Path(path)
    source = elide_path(path)
    raw = _read_limited(path, source)
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DescriptionError([f"{source}: not UTF-8 text (byte {error.start + 1} is not UTF-8)"]) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(content, object_pairs_hook=_unique_keys)
        return tomllib.loads(content)
    except json.JSONDecodeError as error:
        raise DescriptionError([f"{source}: invalid JSON: {error.msg} (at line {error.lineno}, column {error.colno})"]) from None
    except tomllib.TOMLDecodeError as error:
        raise DescriptionError([f"{source}: invalid TOML: {elide(_named_characters(str(error), content))}"]) from None
    except (RecursionError, ValueError) as error:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise DescriptionError([f"{source}: invalid {kind}: {elide(str(error)) or 'nested too deeply'}"]) from None


def _kind_of(mode: int) -> str | None:
    """What a file that is not a regular file is (None: a regular file)."""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, None))
    return next((kind for test, kind in kinds if test(mode)), "not a regular file")


def _read_limited(path: Path, source: str) -> bytes:
    """At most ``MAX_FILE_BYTES`` of the regular file at ``path`` (refused if longer)."""
    limit = f"larger than {MAX_FILE_BYTES // 1_000_000} MB (the limit for a description file); is this a network description?"
    try:
        kind = _kind_of(os.stat(path).st_mode)   # follows symlinks; never opens a FIFO or a device
        if kind is not None:
            raise DescriptionError([f"{source}: {kind}, not a regular file: give a .toml or .json description file"])
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            kind = _kind_of(os.fstat(handle).st_mode)   # the file opened (it may have changed since the stat)
            if kind is not None:
                raise DescriptionError([f"{source}: {kind}, not a regular file: give a .toml or .json description file"])
            chunks, size = [], 0
            while size <= MAX_FILE_BYTES:
                chunk = os.read(handle, MAX_FILE_BYTES + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(handle)
    except OSError as error:
        raise DescriptionError([f"{source}: cannot read: {error.strerror or error}"]) from None
    if size > MAX_FILE_BYTES:
        raise DescriptionError([f"{source}: {limit}"])
    return b"".join(chunks)


def _named_characters(message: str, content: str) -> str:
    """A TOML error about an invalid character, naming the character (``U+00A0 NO-BREAK SPACE``)."""
    where = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if not where:
        return message
    lines = content.split("\n")
    row, column = int(where.group(1)) - 1, int(where.group(2)) - 1
    if row >= len(lines) or column >= len(lines[row]):
        return message
    if lines[row][column].isascii() and lines[row][column].isprintable():
        return message   # an ordinary character: the message says enough
    return f"{message}: the character there is {character_name(lines[row][column])}"


def _unique_keys(pairs: list) -> dict:
    """A JSON object whose keys are all different (as TOML requires)."""
    found = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {show(key)} appears twice in one object")
        found[key] = value
    return found


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
    plan = plan_network(top, problems, default_name=path.stem if path else "network")
    net = build_network(plan, problems) if plan else None
    problems.check()
    symbols = read_symbols(top, "symbols", net, problems)
    samples = read_samples(top, "data", net, symbols, problems)
    init = read_init(top, "init", net, symbols, problems)
    problems.check()
    return Description(net.with_data(samples) if samples else net, init, symbols, document, source, path)


def network_names(net: Network) -> set[str]:
    """Every name the network uses: nodes, targets, parameters."""
    return {str(n.symbol) for n in net.nodes} | {str(t) for t in net.targets} | {str(p) for p in net.parameters}


# -- symbols, data, initialisation ----------------------------------------------
def read_symbols(table: Table, key: str, net: Network, problems: Problems) -> dict[str, sp.Symbol]:
    """``[symbols]``: names with assumptions, ``a = "positive"`` (not names of the network's own)."""
    sub = table.table(key, None)
    found: dict[str, sp.Symbol] = {}
    taken = network_names(net)
    for symbol, value in (sub.data.items() if sub else ()):
        try:
            if name(symbol) in taken:
                raise Invalid(f"{symbol} is a name of the network; symbols are for values such as a")
            found[symbol] = sp.Symbol(symbol, **assumptions(value))
        except (Invalid, SymgradError) as error:
            problems.add(sub.path(symbol), str(error))
    return found


def read_value(value, symbols: Mapping, net: Network, allowed: set[str] = frozenset()):
    """A value (``"1/2"``, ``"a"``) that names nothing of the network except ``allowed``."""
    expr = to_expr(value, symbols)
    foreign = sorted({str(s) for s in expr.free_symbols} & (network_names(net) - allowed))
    if foreign:
        raise Invalid(f"{show(value)} names {foreign[0]}, which belongs to the network: use another symbol")
    return expr


def read_samples(table: Table, key: str, net: Network, symbols: Mapping, problems: Problems) -> tuple | None:
    """Samples at ``table[key]``: an array of tables, ``{one_hot = [...]}`` or ``{generic = N}``."""
    if key not in table:
        return None
    value = table.data[key]
    if isinstance(value, Mapping):
        return _sample_rule(table, key, net, problems)
    samples = table.tables(key, [str(s) for s in (*net.inputs, *net.targets)])
    if samples is None:
        return None
    if not 1 <= len(samples) <= MAX_SAMPLES:
        problems.add(table.path(key), f"expected 1 to {MAX_SAMPLES:,} samples, got {len(samples):,}")
        return None
    if table.check(key, len(samples), lambda n: check_sample_count(net, n)) is None:
        return None
    inputs = {str(x) for x in net.inputs}
    parsed = [{k: s.check(k, v, lambda v: read_value(v, symbols, net, inputs)) for k, v in s.data.items()
               if str(k) in s.known} for s in samples]
    if problems:
        return None
    return table.check(key, parsed, lambda p: check_samples(net, p))


def _sample_rule(table: Table, key: str, net: Network, problems: Problems) -> tuple | None:
    """``{one_hot = [classes]}`` or ``{generic = N}``."""
    value = table.data[key]
    if len(value) != 1 or next(iter(value)) not in ("one_hot", "generic"):
        problems.add(table.path(key), f"expected {{one_hot = [classes]}} or {{generic = N}}, got keys "
                                      f"{', '.join(map(show, value)) or 'none'}")
        return None
    sub = table.table(key, ("one_hot", "generic"))
    if "one_hot" in value:
        classes = sub.get("one_hot", array(positive_int, 1))
        return sub.check("one_hot", classes, lambda c: one_hot(net, _at_most_samples(c, net))) if classes else None
    count = sub.get("generic", lambda n: len(_at_most_samples(range(positive_int(n)), net)))
    return generic(net, count) if count else None


def _at_most_samples(samples, net):
    if len(samples) > MAX_SAMPLES:
        raise Invalid(f"at most {MAX_SAMPLES:,} samples, got {len(samples):,}")
    check_sample_count(net, len(samples))
    return samples


def read_init(table: Table, key: str, net: Network, symbols: Mapping, problems: Problems):
    """The initialisation at ``table[key]`` (a string such as ``"constant:1/2"``,
    or a table), checked against ``net``; None when absent or wrong."""
    if key not in table:
        return None
    before = len(problems.lines)
    init = _init_at(table, key, net, symbols, problems)
    if init is not None and len(problems.lines) == before:
        table.check(key, init, lambda c: c.values(net))
    return init if len(problems.lines) == before else None


NEEDS = {"constant": (), "zero": (), "distinct": (), "tied": ("groups",), "layers": ("values",)}
TAKES = {"constant": ("value",), "zero": (), "distinct": (), "tied": ("groups",), "layers": ("values",)}


def _init_at(table: Table, key: str, net: Network, symbols: Mapping, problems: Problems, nested: bool = False):
    value = table.data[key]
    if isinstance(value, str):
        return table.check(key, value, lambda v: with_symbols(constraints.parse(v), symbols, net))
    if not isinstance(value, Mapping):
        problems.add(table.path(key), f"expected a string such as \"constant:a\" or a table with kind = ..., "
                                      f"got {show(value)}")
        return None
    sub = table.table(key, ("kind", "value", "groups", "values") + (() if nested else ("biases",)))
    kind = sub.get("kind", choice(*INIT_KINDS), "constant")
    if kind is None:
        return None
    for k in ("value", "groups", "values"):
        if k in sub and k not in TAKES[kind]:
            problems.add(sub.path(k), f"kind {show(kind)} takes no {k}")
        if k in NEEDS[kind] and k not in sub:
            problems.add(sub.path(k), f"missing: kind {show(kind)} needs {k}")
    biases = _init_at(sub, "biases", net, symbols, problems, nested=True) if "biases" in sub else None
    if kind == "constant":
        made = constraints.Constant(sub.get("value", lambda v: read_value(v, symbols, net), sp.Symbol("a")))
    elif kind == "tied":
        groups = sub.get("groups", array(name_group, 1), None)
        made = constraints.Tied(tuple(tuple(g) for g in groups or ()))
    elif kind == "layers":
        made = constraints.PerLayer(tuple(sub.get("values", array(lambda v: read_value(v, symbols, net), 1), None) or ()))
    else:
        made = constraints.Zero() if kind == "zero" else constraints.Distinct()
    return replace(made, biases=biases)


def with_symbols(init: constraints.Constraint, symbols: Mapping, net: Network) -> constraints.Constraint:
    """``init`` with its values read through ``symbols`` (so ``a`` keeps its
    assumptions), refusing values that name the network's own symbols."""
    if isinstance(init, constraints.Constant):
        init = replace(init, value=read_value(init.value, symbols, net))
    if isinstance(init, constraints.PerLayer):
        init = replace(init, layer_values=tuple(read_value(v, symbols, net) for v in init.layer_values))
    if init.biases is not None:
        init = replace(init, biases=with_symbols(init.biases, symbols, net))
    return init
