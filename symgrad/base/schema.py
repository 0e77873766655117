"""Reading a nested document (parsed TOML or JSON) with precise complaints.

A ``Table`` wraps one table of the document and the path that leads to it
(``layers[2]``); its getters check each value and, instead of stopping at the
first mistake, record a problem such as ``layers[2].units: expected a positive
integer, got -3`` in a shared ``Problems`` list, so a user sees every mistake
of a file at once.  ``Problems.check()`` raises them together as one
``DescriptionError``, a line per problem, each prefixed with the file name.

>>> problems = Problems("net.toml")
>>> layer = Table({"units": -3, "colour": "red"}, "layers[2]", problems, known=("units", "activation"))
>>> layer.get("units", positive_int) is None
True
>>> for line in problems.lines: print(line)
net.toml: layers[2]: unknown key "colour" (known: activation, units)
net.toml: layers[2].units: expected a positive integer, got -3
"""
from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from .errors import DescriptionError, SymgradError
from .names import character_name, check_name

MISSING = object()
MAX_TEXT = 2000  # characters of a name or description
MAX_WORD = 60    # characters of one word of a message before it is elided
MAX_LINE = 400   # characters of one message line before its middle is elided
_LONG_WORD = re.compile(r"\S{%d,}" % (MAX_WORD + 1))


class Invalid(SymgradError):
    """A value is not what its key expects (the message says what it expected)."""


class Problems:
    """The problems found in one document, a line each: ``source: where: message``."""

    def __init__(self, source: str):
        self.source = elide_path(source)
        self.lines: list[str] = []

    def add(self, where: str, message: str) -> None:
        said = elide(f"{where}: {message}" if where else message)   # the file's own name is kept whole
        self.lines.append(f"{self.source}: {said}")

    def check(self) -> None:
        """Raise every problem so far as one ``DescriptionError``."""
        if self.lines:
            raise DescriptionError(self.lines)

    def __bool__(self) -> bool:
        return bool(self.lines)


class Table:
    """One table of a document, read key by key (see the module docstring)."""

    def __init__(self, data, where: str, problems: Problems, known: Iterable[str] | None):
        """``known`` lists the keys allowed here (None: any key)."""
        self.where, self.problems = where, problems
        self.known = None if known is None else tuple(known)
        self.data = data if isinstance(data, Mapping) else {}
        self._unknown_keys()

    def path(self, key) -> str:
        if isinstance(key, int):
            return f"{self.where}[{key}]"
        return f"{self.where}.{key}" if self.where else str(key)

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, check: Callable, default=MISSING):
        """The checked value of ``key``; ``default`` if absent (a problem if
        there is no default); None after recording a problem."""
        if key not in self.data:
            if default is MISSING:
                self.problems.add(self.path(key), "missing")
                return None
            return default
        return self.check(key, self.data[key], check)

    def check(self, key, value, check: Callable):
        """``check(value)``, or None after recording its complaint at ``key``."""
        try:
            return check(value)
        except (Invalid, SymgradError) as error:
            self.problems.add(self.path(key), str(error))
            return None

    def table(self, key: str, known: Iterable[str] | None) -> Table | None:
        """The sub-table at ``key`` (None when absent or not a table)."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, Mapping):
            self.problems.add(self.path(key), f"expected a table, got {show(value)}")
            return None
        return Table(value, self.path(key), self.problems, known)

    def tables(self, key: str, known: Iterable[str]) -> list[Table] | None:
        """The array of tables at ``key`` (None when absent or malformed)."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            self.problems.add(self.path(key), f"expected an array of tables ([[{key}]]), got {show(value)}")
            return None
        return [Table(v, f"{self.path(key)}[{i}]", self.problems, known) for i, v in enumerate(value)]

    def _unknown_keys(self) -> None:
        """Record every key that is not ``known`` (with a suggestion)."""
        for key in self.data if self.known is not None else ():
            if key not in self.known:
                close = difflib.get_close_matches(str(key), self.known, n=1)
                hint = f"did you mean {show(close[0])}?" if close else f"known: {', '.join(sorted(self.known))}"
                self.problems.add(self.where, f"unknown key {show(key)} ({hint})")


def show(value) -> str:
    """A value as a user wrote it in TOML, shortened: ``"dens"``, ``-3``, ``true``.

    >>> show("dens"), show(True), show([1, 2]), show({"a": 1})
    ('"dens"', 'true', 'an array', 'a table')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 60 else text[:57] + '..."'
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def elide(message: str) -> str:
    """``message`` with every very long word (a value echoed from the input)
    cut to a few dozen characters and ``...``, and the whole kept to one
    readable line.

    >>> elide("got " + "x" * 100_000 + " here")
    'got xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... here'
    """
    message = _LONG_WORD.sub(lambda m: m.group()[:40] + "...", message)
    if len(message) > MAX_LINE:
        message = message[:MAX_LINE - 120] + " ... " + message[-100:]
    return message


def elide_path(path) -> str:
    """A file's name as given, unless it is absurdly long (then its middle is elided)."""
    path = str(path)
    return path if len(path) <= MAX_LINE - 100 else path[:150] + "..." + path[-100:]


def unprintable(value: str, allowed: str = "") -> str | None:
    """The first character of ``value`` that is not printable text (nor in
    ``allowed``), as a phrase naming it; None if there is none."""
    for c in value:
        if not c.isprintable() and c not in allowed:
            kind = "the control character" if unicodedata.category(c) == "Cc" else "the unprintable character"
            return f"{kind} {character_name(c)}"
    return None


# -- checks: each returns the value or raises Invalid ------------------------------
def positive_int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"expected a positive integer, got {show(value)}")
    return value


def at_most(limit: int) -> Callable:
    """A check for a count from 1 to ``limit``.

    >>> at_most(10)(3)
    3
    """
    def check(value) -> int:
        if positive_int(value) > limit:
            raise Invalid(f"expected at most {limit:,}, got {value:,}")
        return value
    return check


def boolean(value) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {show(value)}")
    return value


def text(value) -> str:
    """Prose (a title, a description): any printable text."""
    if not isinstance(value, str):
        raise Invalid(f"expected a string, got {show(value)}")
    if len(value) > MAX_TEXT:
        raise Invalid(f"longer than {MAX_TEXT} characters")
    bad = unprintable(value, "\n\t")
    if bad:
        raise Invalid(f"contains {bad}; use printable text (an ordinary space, no control characters)")
    return value


def name(value) -> str:
    """A symbol name (``w1``, ``x_2``)."""
    if not isinstance(value, str):
        raise Invalid(f"expected a name (a string), got {show(value)}")
    return check_name(value)


def choice(*options: str) -> Callable:
    """A check that accepts one of ``options``."""
    def check(value):
        if not isinstance(value, str) or value not in options:
            close = difflib.get_close_matches(value, options, n=1) if isinstance(value, str) else []
            hint = f" (did you mean {show(close[0])}?)" if close else ""
            raise Invalid(f"expected one of {', '.join(options)}, got {show(value)}{hint}")
        return value
    return check


def array(item: Callable, min_length: int = 0) -> Callable:
    """A check that accepts an array whose entries pass ``item``."""
    def check(value):
        if not isinstance(value, list):
            raise Invalid(f"expected an array, got {show(value)}")
        if len(value) < min_length:
            raise Invalid(f"expected at least {min_length} entries, got {len(value)}")
        checked = []
        for i, entry in enumerate(value):
            try:
                checked.append(item(entry))
            except (Invalid, SymgradError) as error:
                raise Invalid(f"entry {i}: {error}") from None
        return checked
    return check


def names_or_prefix(value) -> list[str] | str:
    """An array of names, or one name used as a prefix (``"h"`` gives h1, h2, ...)."""
    if isinstance(value, str):
        return name(value)
    checked = array(name, 1)(value)
    if len(set(checked)) != len(checked):
        twice = next(n for n in checked if checked.count(n) > 1)
        raise Invalid(f"the name {show(twice)} is given twice")
    return checked
