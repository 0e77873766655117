"""The Jinja2 environment for LaTeX templates.

Delimiters that do not clash with TeX braces: ``\\VAR{x}`` prints, ``\\BLOCK{...}``
is a statement, ``\\#{...}`` a comment.  Every printed value is escaped for
LaTeX unless it is ``TeX`` (a string symgrad's printer already made), so prose
from users (network names, descriptions) can never inject TeX.

>>> escape("50% of x_1 & {y}")
'50\\\\% of x\\\\_1 \\\\& \\\\{y\\\\}'
>>> escape("snow\\u2603 cafe\\u0301\\nline")
'snow[U+2603] café line'
>>> env().from_string(r"\\VAR{a} $\\VAR{b}$").render(a="x_1", b=TeX("x_{1}"))
'x\\\\_1 $x_{1}$'
"""
from __future__ import annotations

import re
import unicodedata

import jinja2

SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile("|".join(re.escape(k) for k in SPECIALS))
# Characters beyond ASCII that pdfLaTeX's UTF-8 input typesets with the T1 and
# TS1 encodings (t1enc.dfu, ts1enc.dfu): Latin-1 and Latin Extended-A, less the
# few T1 lacks, and common punctuation.  Any other character is shown as its
# code point ([U+2603]), so no text from a user can stop LaTeX.
_TYPESET = (frozenset(map(chr, range(0xA1, 0x17F))) - set("\u00b8\u0126\u0127\u0138\u013f\u0140\u0149\u0166\u0167")
            | frozenset("\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2030\u2039\u203a\u20ac\u2122"))
_SPACES = re.compile(r"\s+")
_FOREIGN = re.compile(r"[^\x20-\x7e" + "".join(sorted(_TYPESET)) + "]")


class TeX(str):
    """A string that is already LaTeX: printed as it is."""


def escape(text) -> str:
    """Prose made safe for LaTeX: every special character is escaped, line
    breaks and other white space become one space (a blank line would end a
    paragraph inside a title), accents are composed (``e`` and a combining
    accent is ``é``), and characters pdfLaTeX cannot typeset are shown by
    their code point."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", str(text)))
    text = _SPECIAL.sub(lambda m: SPECIALS[m.group()], text)
    return _FOREIGN.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


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
