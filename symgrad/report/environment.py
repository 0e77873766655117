"""The Jinja2 environment for LaTeX templates.

Delimiters that do not clash with TeX braces: ``\\VAR{x}`` prints, ``\\BLOCK{...}``
is a statement, ``\\#{...}`` a comment.  Every printed value is escaped for
LaTeX unless it is ``TeX`` (a string symgrad's printer already made), so prose
from users (network names, descriptions) can never inject TeX.

>>> escape("50% of x_1 & {y}")
'50\\\\% of x\\\\_1 \\\\& \\\\{y\\\\}'
>>> env().from_string(r"\\VAR{a} $\\VAR{b}$").render(a="x_1", b=TeX("x_{1}"))
'x\\\\_1 $x_{1}$'
"""
from __future__ import annotations

import re

import jinja2

SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile("|".join(re.escape(k) for k in SPECIALS))


class TeX(str):
    """A string that is already LaTeX: printed as it is."""


def escape(text) -> str:
    """Prose made safe for LaTeX: every special character is escaped."""
    return _SPECIAL.sub(lambda m: SPECIALS[m.group()], str(text))


def _finalize(value):
    if isinstance(value, TeX):
        return value
    if value is None:
        return ""
    return escape(value)


def tex_join(items, separator: str = "") -> TeX:
    """Join pieces of TeX with a TeX separator (prose items are escaped first)."""
    return TeX(separator.join(i if isinstance(i, TeX) else escape(i) for i in items))


def env() -> jinja2.Environment:
    """The environment: LaTeX delimiters, templates from the package, escaping."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("symgrad.report", "templates"),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_statement_prefix="%%", line_comment_prefix="%#",
        trim_blocks=True, lstrip_blocks=True, autoescape=False, finalize=_finalize,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    environment.filters["tj"] = tex_join
    return environment
