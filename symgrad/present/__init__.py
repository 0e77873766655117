"""How symgrad's objects print: text and LaTeX printers with a method per class, the
phrases proofs are written in, and JSON."""

from .expressions import latex, text
from .printing import LATEX, SHORT, TEXT

__all__ = ["LATEX", "SHORT", "TEXT", "latex", "text"]
