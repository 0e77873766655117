"""symgrad's own exceptions: each names the offending value."""


class SymgradError(ValueError):
    """A user error: bad network description, unknown name, impossible constraint."""


class Inconclusive(ArithmeticError):
    """A numeric backend cannot decide a branch (an interval straddles 0)."""


class TeXError(RuntimeError):
    """LaTeX failed; the message quotes the relevant lines of its log."""


class NoTeX(RuntimeError):
    """No TeX engine is installed; a .tex file was written instead of a PDF."""


class DescriptionError(SymgradError):
    """A network description has problems; ``lines`` holds one line per problem."""

    def __init__(self, lines):
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


class TimeLimit(BaseException):
    """The wall-clock limit ran out (a BaseException, so no ``except Exception``
    inside SymPy swallows it)."""
