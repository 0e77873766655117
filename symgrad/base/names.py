"""Names of symbols: checked so that they print in LaTeX and read back in SymPy.

A name is letters, digits and underscores, starting with a letter, and must
read back through ``sympy.sympify`` as the same symbol (so ``lambda``, ``E``
or ``beta`` are refused).  Anything that could reach TeX as a command
(``\\input``, ``x&1``, ``w_{1}``) is refused with a clear error.

>>> check_name("w1")
'w1'
>>> check_name(r"\\input")
Traceback (most recent call last):
...
symgrad.base.errors.SymgradError: invalid name '\\\\input': use letters, digits and underscores, starting with a letter (such as w1 or x_2)
"""
from __future__ import annotations

import keyword
import re
import unicodedata
from functools import lru_cache

import sympy as sp

from .errors import SymgradError

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
MAX_NAME = 100  # characters of a name (a longer one is surely a mistake, and would not fit a line)
_WRONG = re.compile(r"[^A-Za-z0-9_]")


RESERVED = re.compile(r"(eta|delta(\d*|_\w*))\Z")


def check_name(name: str) -> str:
    """Return ``name`` if it is a safe symbol name, else raise SymgradError."""
    if not isinstance(name, str) or not NAME.match(name) or name.endswith("_") or "__" in name:
        wrong = _WRONG.search(name) if isinstance(name, str) else None
        because = f" ({character_name(wrong.group())} is not allowed)" if wrong and not wrong.group().isascii() else ""
        raise SymgradError(
            f"invalid name {_shown(name)}{because}: use letters, digits and underscores, starting with a letter "
            "(such as w1 or x_2)"
        )
    if len(name) > MAX_NAME:
        raise SymgradError(f"invalid name {_shown(name)}: longer than {MAX_NAME} characters")
    if RESERVED.match(name):
        raise SymgradError(f"invalid name {_shown(name)}: symgrad uses it itself (eta is the learning rate, "
                           "deltaN and delta_NAME the backpropagated errors); choose another name")
    if name in _taken():
        raise SymgradError(f"invalid name {_shown(name)}: SymPy reads it as {_read_back(name)}, not as a symbol; "
                           "choose another name")
    return name


@lru_cache(maxsize=1)
def _taken() -> frozenset[str]:
    """The names ``sympy.sympify`` does not read as a plain symbol: Python's
    keywords and constants, and what ``from sympy import *`` defines other
    than symbols (``E``, ``I``, ``beta``, ``atan2``, ...)."""
    namespace: dict = {}
    exec("from sympy import *", namespace)   # noqa: S102 (a fixed import, no user input)
    defined = {n for n, v in namespace.items() if not isinstance(v, sp.Symbol)}
    return frozenset(defined | set(keyword.kwlist) | {"True", "False", "None"})


def _read_back(name: str) -> str:
    try:
        return repr(sp.sympify(name))
    except (sp.SympifyError, SyntaxError, TypeError):
        return "something else"


def _shown(name) -> str:
    text = repr(name)
    return text if len(text) <= 50 else text[:46] + "...'"


def numbered(prefix: str, count: int, start: int = 1) -> list[str]:
    """``prefix1 ... prefixN``.

    >>> numbered("x", 3)
    ['x1', 'x2', 'x3']
    """
    return [f"{prefix}{i}" for i in range(start, start + count)]


def filled_names(given: list, prefix: str) -> tuple[str, ...] | None:
    """Checked names, ``prefixN`` where none is given; None when none is given at all.

    >>> filled_names([None, "bias", None], "b"), filled_names([None], "w")
    (('b1', 'bias', 'b3'), None)
    """
    if not any(given):
        return None
    return tuple(check_name(g) if g else d for g, d in zip(given, numbered(prefix, len(given))))


def companion(name: str, letter: str) -> str:
    """The name of a node's companion symbol: ``y3`` -> ``z3``, ``y`` -> ``z_y``.

    >>> companion("y3", "delta"), companion("L", "delta")
    ('delta3', 'delta_L')
    """
    m = re.fullmatch(r"[A-Za-z]+(\d+)", name)
    return f"{letter}{m.group(1)}" if m else f"{letter}_{name}"


def character_name(c: str) -> str:
    """A character by its code point and Unicode name.

    >>> character_name("\xa0"), character_name("\x07")
    ('U+00A0 NO-BREAK SPACE', 'U+0007 BELL')
    """
    name = unicodedata.name(c, "") or _CONTROL_NAMES.get(ord(c), "")
    kind = unicodedata.category(c)
    if not name:
        name = {"Cc": "a control character", "Cs": "a surrogate", "Co": "a private-use character",
                "Cn": "an unassigned code point"}.get(kind, "a character without a name")
    return f"U+{ord(c):04X} {name}"


_CONTROL_NAMES = {0: "NULL", 7: "BELL", 8: "BACKSPACE", 9: "CHARACTER TABULATION", 10: "LINE FEED",
                  11: "LINE TABULATION", 12: "FORM FEED", 13: "CARRIAGE RETURN", 27: "ESCAPE", 127: "DELETE",
                  0x85: "NEXT LINE"}
