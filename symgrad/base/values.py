"""Values written as text (``"1/2"``, ``"a"``, ``"-2*a + 1"``), read without ``eval``.

Description files, the command line and the Python API give initial values
and data as numbers or short expressions.  ``sympy.sympify`` would evaluate
such text as Python code, so symgrad reads it itself: Python's parser builds
a syntax tree, and only numbers, symbol names (checked by ``symgrad.base.names``),
``+ - * /`` and integer powers up to ``MAX_POWER`` are turned into SymPy.
Anything else (calls, attributes, ``__import__``) is refused.

>>> to_expr("-2*a + 1/2")
1/2 - 2*a
>>> to_expr(0.1), to_expr(3)
(1/10, 3)
>>> to_expr("__import__('os')")
Traceback (most recent call last):
...
symgrad.base.errors.SymgradError: "__import__('os')" is not a number or expression: only numbers, names, + - * / and integer powers are allowed
"""
from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from fractions import Fraction

import sympy as sp

from .errors import SymgradError
from .names import check_name

MAX_LENGTH = 200  # characters of an expression
MAX_POWER = 16    # largest integer exponent, also after powers of powers
MAX_BITS = 4096   # largest numerator or denominator

_BINARY = {ast.Add: sp.Add, ast.Sub: lambda a, b: a - b, ast.Mult: sp.Mul,
           ast.Div: lambda a, b: a / b, ast.Pow: sp.Pow}


def to_expr(value, symbols: Mapping[str, sp.Symbol] | None = None) -> sp.Expr:
    """A SymPy value from a number, a SymPy object or a short expression.

    ``symbols`` maps names to symbols carrying assumptions (``a`` negative);
    other names become plain symbols.  Floats are read by their decimal
    text, so ``0.1`` is exactly ``1/10``.

    >>> to_expr("a", {"a": sp.Symbol("a", negative=True)}).is_negative
    True
    """
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool):
        raise SymgradError(f"{str(value).lower()} is not a number or expression")
    if isinstance(value, (int, Fraction)):
        return sp.Rational(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SymgradError(f"{value!r} is not a finite number")
        return sp.Rational(repr(value))
    if isinstance(value, str):
        return _parse(value, symbols or {})
    raise SymgradError(f"{_shorten(repr(value))} is not a number or expression")


def _parse(text: str, symbols: Mapping[str, sp.Symbol]) -> sp.Expr:
    if len(text) > MAX_LENGTH:
        raise SymgradError(f"the expression {_shorten(text)!r} is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        raise SymgradError(f"{_shorten(text)!r} is not a number or expression") from None
    value = _build(tree.body, text, symbols)
    if value.has(sp.zoo, sp.oo, sp.nan, -sp.oo):
        raise SymgradError(f"{_shorten(text)!r} is undefined (a division by zero)")
    for power in value.atoms(sp.Pow):
        if power.exp.is_Rational and abs(power.exp) > MAX_POWER:
            raise SymgradError(f"{_shorten(text)!r}: exponents must be integers from -{MAX_POWER} to {MAX_POWER}")
    for number in value.atoms(sp.Rational):
        _bounded(number, text)
    return value


def _build(node: ast.AST, text: str, symbols) -> sp.Expr:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if not math.isfinite(node.value):
            raise SymgradError(f"{_shorten(text)!r} is not a finite number")
        return _bounded(to_expr(node.value), text)
    if isinstance(node, ast.Name):
        return symbols.get(node.id) or sp.Symbol(check_name(node.id))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _build(node.operand, text, symbols)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _build(node.left, text, symbols)
        if isinstance(node.op, ast.Pow):
            right = _exponent(node.right, text)
        else:
            right = _build(node.right, text, symbols)
        return _bounded(_BINARY[type(node.op)](left, right), text)
    raise SymgradError(f"{_shorten(text)!r} is not a number or expression: "
                       "only numbers, names, + - * / and integer powers are allowed")


def _bounded(value: sp.Expr, text: str) -> sp.Expr:
    """``value``, unless it is a number too large to be a sensible input."""
    if value.is_Rational and max(abs(value.p).bit_length(), value.q.bit_length()) > MAX_BITS:
        raise SymgradError(f"{_shorten(text)!r} is too large a number")
    return value


def _exponent(node: ast.AST, text: str) -> int:
    sign = -1 if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else 1
    inner = node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) else node
    if isinstance(inner, ast.Constant) and type(inner.value) is int and inner.value <= MAX_POWER:
        return sign * inner.value
    raise SymgradError(f"{_shorten(text)!r}: exponents must be integers from -{MAX_POWER} to {MAX_POWER}")


def _shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width] + "..."
