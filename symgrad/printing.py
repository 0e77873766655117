"""How symgrad's objects print: plain text for terminals, LaTeX for Jupyter
and reports.  ``SymgradLatexPrinter`` extends SymPy's LaTeX printer with
symgrad's notation; the functions here only arrange printed strings.

>>> import sympy as sp
>>> latex(sp.Symbol("delta_y3") * sp.Symbol("x1_s2"))
'\\\\delta_{y_{3}} x_{1}^{(2)}'
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

SAMPLE = re.compile(r"([A-Za-z]+)(\d*)_s(\d+)\Z")
GRID = re.compile(r"([A-Za-z]+)(\d+)_(\d+)\Z")
NESTED = re.compile(r"([A-Za-z]+)_([A-Za-z][A-Za-z0-9_]*)\Z")


class SymgradLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with symgrad's notation: ``x1_s2`` is
    ``x_1^{(2)}``, ``delta_y3`` is ``\\delta_{y_3}``, ``sigma'(z)`` for the
    derivative of the undefined activation, ``H_0(z)`` for a step slope."""

    printmethod = "_latex"

    def _print_Symbol(self, expr, style="plain"):
        name = expr.name
        if m := SAMPLE.match(name):
            index = "_{%s}" % m.group(2) if m.group(2) else ""
            return "%s%s^{(%s)}" % (self._base(m.group(1)), index, m.group(3))
        if m := GRID.match(name):
            return "%s_{%s,%s}" % (self._base(m.group(1)), m.group(2), m.group(3))
        if m := NESTED.match(name):
            return "%s_{%s}" % (self._base(m.group(1)), self._print(sp.Symbol(m.group(2))))
        return super()._print_Symbol(expr, style)

    def _base(self, name: str) -> str:
        return super()._print_Symbol(sp.Symbol(name))

    def _print_Subs(self, expr):
        inner, (var,), (point,) = expr.args
        if isinstance(inner, sp.Derivative) and isinstance(inner.expr, sp.core.function.AppliedUndef):
            return r"%s'\left(%s\right)" % (self._print(sp.Symbol(inner.expr.func.__name__)), self._print(point))
        return super()._print_Subs(expr)

    def _print_Derivative(self, expr):
        inner = expr.expr
        if isinstance(inner, sp.core.function.AppliedUndef) and len(expr.variables) == 1:
            return r"%s'\left(%s\right)" % (self._print(sp.Symbol(inner.func.__name__)), self._print(expr.variables[0]))
        return super()._print_Derivative(expr)

    def _print_Heaviside(self, expr, exp=None):
        z, at_zero = expr.args if len(expr.args) == 2 else (expr.args[0], sp.S.Half)
        tex = r"H_{%s}\left(%s\right)" % (self._print(at_zero), self._print(z))
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


def latex(expr, **settings) -> str:
    """LaTeX of a SymPy expression in symgrad's notation."""
    return SymgradLatexPrinter(settings).doprint(expr)


def text(expr) -> str:
    """Plain text that ``sympy.sympify`` reads back."""
    return sp.sstr(expr)


TEXT_LIMIT = 400  # characters of an expression in a proof's text; --json has every one in full


def short_text(expr, limit: int = TEXT_LIMIT) -> str:
    """``text(expr)``, or a note of its length when longer than ``limit``.

    >>> short_text(sp.Symbol("x") + 1), short_text(sp.Symbol("x") + 1, limit=3)
    ('x + 1', '(an expression of 5 characters: see --json or the report)')
    """
    shown = text(expr)
    return shown if len(shown) <= limit else f"(an expression of {len(shown):,} characters: see --json or the report)"


def derivative_label(objective, w) -> str:
    return f"d{objective}/d{w}"


def derivation_text(d) -> str:
    """The derivation as text: forward equations, deltas, and for every
    parameter the chain of equalities from chain form to explicit form."""
    net = d.network
    objective = net.nodes[net.objective].symbol
    lines = [str(net), "", "Forward"]
    lines += [f"  {y} = {text(v)}" for y, v in d.forward.items()]
    if d.pre:
        lines += [f"  {z} = {text(v)}" for z, v in d.pre.items()]
    lines += ["", f"Backward (delta = d{objective}/d(pre-activation))"]
    lines += [f"  {s} = {text(v)}" for s, v in d.deltas.items()]
    lines += ["", "Gradients"]
    for w in net.parameters:
        label = derivative_label(objective, w)
        chain = d.steps(w) if net.parameter_count <= 60 else [d.chain(w)]
        lines.append(f"  {label} = {text(chain[0])}")
        lines += [" " * (len(label) + 3) + f"= {text(s)}" for s in chain[1:]]
    return "\n".join(lines)


def derivation_latex(d) -> str:
    """The derivation as one LaTeX ``aligned`` block (for Jupyter)."""
    net = d.network
    objective = latex(net.nodes[net.objective].symbol)
    rows = [f"{latex(y)} &= {latex(v)}" for y, v in d.forward.items()]
    for w in net.parameters[:40]:
        steps = " = ".join(latex(s) for s in d.steps(w))
        rows.append(r"\frac{\partial %s}{\partial %s} &= %s" % (objective, latex(w), steps))
    return "$\\begin{aligned}%s\\end{aligned}$" % r" \\ ".join(rows)


def network_latex(net) -> str:
    """The network's forward equations as LaTeX (for Jupyter)."""
    from .derive import derive

    rows = [f"{latex(y)} &= {latex(v)}" for y, v in derive(net).forward.items()]
    return "$\\begin{aligned}%s\\end{aligned}$" % r" \\ ".join(rows)


def class_text(members) -> str:
    """``w5 = w6 = w7 = w8``."""
    return " = ".join(map(str, members))


def join_and(parts: list[str]) -> str:
    """``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def conclusion(proof) -> str:
    """The invariant ties in one sentence, as in the seed."""
    tied = [class_text(c) for c in proof.invariant if len(c) > 1]
    if not tied:
        return "no two parameters are tied: every weight is free to move on its own"
    return f"{join_and(tied)} for every step, every learning rate and every input"


def proof_text(proof, widths=None) -> str:
    """A proof as text: classes at the initial point, the induction step with
    one symbol per class, the invariant ties, stationarity and (if given) the
    effective width of each layer."""
    net = proof.network
    objective = net.nodes[net.objective].symbol
    params = net.parameters
    lines = [f"{net.name}: {proof.init.describe()}{proof.init.bias_phrase(net)} ({proof.engine} engine)"]
    if len(net.samples) > 1:
        lines.append(f"Data: {len(net.samples)} samples, gradients summed")
    heading = "At the initial point, equal gradients" if proof.engine == "algebraic" else \
        "At the initial point, equal gradients (at least these; this engine sees structure, not algebra)"
    lines += ["", heading + ":"]
    for c, members in zip(proof.at_init_classes, proof.at_init):
        grad = f": d{objective}/d{members[0]} = {short_text(proof.at_init_gradients[c[0]])}" if proof.at_init_gradients else ""
        lines.append(f"  {{{', '.join(map(str, members))}}}{grad}")
    if proof.undecided:
        pairs = ", ".join(f"{params[a]}~{params[b]}" for a, b in proof.undecided)
        lines.append(f"  undecided (equal at every sampled point, no canonical form proves it): {pairs}")
    step = proof.step
    if step is not None and step.gradients is not None and len(step.classes) < len(params):
        tied = [f"{class_text([params[p] for p in c])} =: {params[c[0]]}" for c in step.classes if len(c) > 1]
        lines += ["", f"Induction step: if {', '.join(tied)}, then"]
        for c in step.classes:
            lines.append(f"  d{objective}/d{params[c[0]]} = {short_text(step.gradients[c[0]])}"
                         + (f"  (shared by {', '.join(str(params[p]) for p in c[1:])})" if len(c) > 1 else ""))
    lines += ["", "Tied forever (induction over the steps of gradient descent):", f"  {conclusion(proof)}."]
    if proof.stationary:
        lines += ["", "Stationary point: every gradient vanishes identically at the initial point; nothing ever moves."]
    elif proof.stationary is None:
        lines += ["", "Stationary point: not decided by this engine."]
    else:
        lines += ["", "Stationary point: no (some gradient is provably nonzero)."]
    if widths:
        lines += ["", "Effective width: " + ", ".join(f"{w.layer}: {w.distinct} of {w.units} units" for w in widths)]
    lines += [f"  note: {n}" for n in proof.notes]
    return "\n".join(lines)


def proof_latex(proof) -> str:
    """The invariant classes as LaTeX (for Jupyter)."""
    rows = [" = ".join(latex(p) for p in c) for c in proof.invariant if len(c) > 1] or [r"\text{no ties}"]
    return r"$\text{tied forever: } " + r",\quad ".join(rows) + "$"
