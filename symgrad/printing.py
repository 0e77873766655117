"""How symgrad's objects print: plain text for terminals, LaTeX for Jupyter
and reports.  ``SymgradLatexPrinter`` extends SymPy's LaTeX printer with
symgrad's notation; the functions here only arrange printed strings.

>>> import sympy as sp
>>> latex(sp.Symbol("delta_y3") * sp.Symbol("x1_s2"))
'\\\\delta_{y_{3}} x_{1}^{(2)}'
"""
from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from .trajectory import by_run

SAMPLE = re.compile(r"([A-Za-z]+)(\d*)_s(\d+)\Z")
OF_SAMPLE = re.compile(r"(.+)_s(\d+)\Z")
GRID = re.compile(r"([A-Za-z]+)(\d+)_(\d+)\Z")
NESTED = re.compile(r"([A-Za-z]+)_([A-Za-z][A-Za-z0-9_]*)\Z")


def natural_key(text: str) -> tuple:
    """Digits compare as numbers: ``w2`` before ``w10``.

    >>> sorted(["w10", "w9", "x1"], key=natural_key)
    ['w9', 'w10', 'x1']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def ordered_terms(expr: sp.Add) -> list:
    """The terms of a sum as a reader expects them: positive terms first, then
    negative ones, each in numbering order of their symbols, numbers last
    (``w9*y3 + w10*y4``, ``y1 - t1``, ``x + 1``)."""
    def key(term):
        negative = term.could_extract_minus_sign()
        body = (-term if negative else term).as_coeff_Mul()[1]   # 2*w5*y1 sorts as w5*y1
        return (negative, body.is_number, natural_key(_plain(body)))

    return sorted(expr.args, key=key)


@lru_cache(maxsize=4096)
def _plain(expr) -> str:
    """SymPy's own text of ``expr`` (the sort key of a term; cached: nested sums ask for the same terms again)."""
    return sp.sstr(expr)


class SymgradStrPrinter(StrPrinter):
    """SymPy's text printer with sums in reading order (what ``sympify`` reads back is unchanged)."""

    def _as_ordered_terms(self, expr, order=None):
        return ordered_terms(expr)


class SymgradLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with symgrad's notation: ``x1_s2`` is
    ``x_1^{(2)}``, ``delta_y3`` is ``\\delta_{y_3}``, ``sigma'(z)`` for the
    derivative of the undefined activation, ``H_0(z)`` for a step slope."""

    printmethod = "_latex"
    MEMO_LIMIT = 100_000   # sub-expressions whose LaTeX one printer keeps (long-lived printers are bounded)

    def __init__(self, settings=None):
        super().__init__(settings)
        self._memo: dict = {}

    def _print(self, expr, **kwargs) -> str:
        """Each sub-expression printed once (a deep network's gradients share them)."""
        if kwargs or not isinstance(expr, sp.Basic):
            return super()._print(expr, **kwargs)
        if expr not in self._memo:
            if len(self._memo) > self.MEMO_LIMIT:
                self._memo.clear()
            self._memo[expr] = super()._print(expr)
        return self._memo[expr]

    def _as_ordered_terms(self, expr, order=None):
        return ordered_terms(expr)

    def _print_Symbol(self, expr, style="plain"):
        name = expr.name
        if m := SAMPLE.match(name):
            index = "_{%s}" % m.group(2) if m.group(2) else ""
            return "%s%s^{(%s)}" % (self._base(m.group(1)), index, m.group(3))
        if m := OF_SAMPLE.match(name):   # z_a1_s2: z_{a_1} of sample 2
            return "%s^{(%s)}" % (self._print(sp.Symbol(m.group(1))), m.group(2))
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
    """Plain text that ``sympy.sympify`` reads back, sums in reading order.

    >>> w9, w10, y3, y4, y1, t1 = sp.symbols("w9 w10 y3 y4 y1 t1")
    >>> text(w10 * y4 + w9 * y3), text(y1 - t1)
    ('w9*y3 + w10*y4', 'y1 - t1')
    """
    return SymgradStrPrinter().doprint(expr)


TEXT_LIMIT = 400  # characters of an expression in a proof's text; --json has every one in full


FACTOR_OPS = 40   # operations of a gradient up to which its factored form is shown too (a longer one is long anyway)


def factored(expr) -> sp.Expr | None:
    """``expr``, a short polynomial, with the common factors of its sums
    pulled out, when that reads shorter (``a*(a*x1 + a*x2)`` is
    ``a**2*(x1 + x2)``), else None.  An exact rewriting (SymPy's
    ``factor_terms``), shown beside the form it came from; inside functions
    (``tanh(a*x1 + a*x2)``) it would only lengthen the page.

    >>> a, x1, x2 = sp.symbols("a x1 x2")
    >>> factored(a * (a * x1 + a * x2)), factored(a * x1), factored(x1 / 3 - 2 * x2 / 3)
    (a**2*(x1 + x2), None, None)
    """
    ops = sp.count_ops(expr)
    if ops > FACTOR_OPS or not expr.is_polynomial():
        return None
    tidy = sp.factor_terms(expr)
    pulled = [f for f in sp.Mul.make_args(tidy) if not f.is_Number and not f.is_Add]   # a**2, not just 1/3
    return tidy if tidy != expr and pulled and sp.count_ops(tidy) < ops else None


def with_factored(expr) -> list:
    """``[expr]``, and its factored form after it when that reads shorter."""
    tidy = factored(expr)
    return [expr] if tidy is None else [expr, tidy]


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
    if net.parameter_count > LATEX_LIMIT:
        return r"\text{%s}" % latex_text(f"Derivation of {network_summary(net)} (gradients elided: print it, "
                                             "or use .gradient(w))")
    objective = latex(net.nodes[net.objective].symbol)
    rows = [f"{latex(y)} &= {latex(v)}" for y, v in d.forward.items()]
    for w in net.parameters[:40]:
        steps = " = ".join(latex(s) for s in d.steps(w))
        rows.append(r"\frac{\partial %s}{\partial %s} &= %s" % (objective, latex(w), steps))
    return "\\begin{aligned}%s\\end{aligned}" % r" \\ ".join(rows)


LATEX_LIMIT = 60  # parameters beyond which Jupyter shows a summary instead of every equation


def network_summary(net) -> str:
    """One line for a network of any size: its layers and counts.

    >>> from symgrad import Network
    >>> network_summary(Network.mlp([300, 300, 1]))
    "'mlp 300-300-1': layers inputs 300, layer 1 300, layer 2 1; 90,300 weights"
    """
    layers = ", ".join(f"{layer.name} {len(layer.units):,}" for layer in net.layers)
    counts = f"{net.weight_count:,} weights" + (f", {net.bias_count:,} biases" if net.bias_count else "")
    return f"{net.name!r}: layers {layers}; {counts}" if layers else f"{net.name!r}: {counts}"


def network_latex(net) -> str:
    """The network's forward equations as LaTeX (for Jupyter); a summary
    beyond ``LATEX_LIMIT`` parameters, as NumPy elides large arrays."""
    from .derivation import derive

    if net.parameter_count > LATEX_LIMIT:
        return r"\text{%s}" % latex_text(f"Network {network_summary(net)} (equations elided)")
    rows = [f"{latex(y)} &= {latex(v)}" for y, v in derive(net).forward.items()]
    return "\\begin{aligned}%s\\end{aligned}" % r" \\ ".join(rows)


def latex_text(prose: str) -> str:
    """Prose safe inside ``\\text{...}``."""
    special = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
               "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
    return "".join(special.get(c, c) for c in prose)


def class_text(members) -> str:
    """``w5 = w6 = w7 = w8``."""
    return " = ".join(map(str, members))


def join_and(parts: list[str]) -> str:
    """``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def data_phrase(net) -> str | None:
    """What the data fix, as a phrase (``x2 = x1; target t1 = 1, t2 = 0``),
    or None when every input and target is free (one sample of plain
    symbols, or fresh symbols of their own).

    >>> import sympy as sp
    >>> from symgrad import examples
    >>> x1, x2 = sp.symbols("x1 x2")
    >>> data_phrase(examples.toy()), data_phrase(examples.toy().with_data([{x2: x1}]))
    (None, 'x2 = x1')
    >>> data_phrase(examples.toy().with_data([{}, {x1: 3}]))   # x2 is left as it is in both samples
    'sample 2: x1 = 3; x2 the same in samples 1 and 2'
    """
    full = [{s: sp.sympify(sample.get(s, s)) for s in (*net.inputs, *net.targets)} for sample in net.samples]
    shared = _shared_across_samples(full)
    phrases = [_sample_phrase(net, values, shared) for values in full]
    if len(phrases) == 1:
        return phrases[0]
    parts = [f"sample {k}: {p}" for k, p in enumerate(phrases, 1) if p]
    parts += [_shared_phrase(v, slots) for v, slots in shared.items()]
    return "; ".join(parts) or None


def _shared_across_samples(full: list[dict]) -> dict:
    """Each symbol that is the whole value of inputs or targets in more than
    one sample (the samples then are not free of each other), with those
    (sample number, input) slots."""
    slots: dict = {}
    for k, values in enumerate(full, 1):
        for s, v in values.items():
            if isinstance(v, sp.Symbol):
                slots.setdefault(v, []).append((k, s))
    return {v: found for v, found in sorted(slots.items(), key=lambda item: natural_key(item[0].name))
            if len({k for k, _ in found}) > 1}


def _shared_phrase(v, slots) -> str:
    """``x2 the same in samples 1 and 2``, or ``x1 of sample 1 = x2 of sample 2 = u``."""
    names = {s for _, s in slots}
    if len(names) == 1:
        (s,) = names
        return f"{s} the same in samples {join_and([str(k) for k, _ in slots])}" + ("" if v == s else f" (= {v})")
    return " = ".join(f"{s} of sample {k}" for k, s in slots) + ("" if v in names else f" = {v}")


def _sample_phrase(net, full: dict, shared: dict) -> str | None:
    """One sample's restrictions: inputs tied to something, then the targets'
    values (a symbol ``shared`` with other samples is said once, for all)."""

    def free(s, v):   # a fresh name, assuming no more than the input itself, used nowhere else
        return isinstance(v, sp.Symbol) and not _assumed(v) - _assumed(s) \
            and all(v not in u.free_symbols for t, u in full.items() if t != s)

    fixed = {s: v for s, v in full.items() if v != s and not free(s, v) and not (v in shared and not (
        _assumed(v) - _assumed(s)))}

    def shown(s, v):
        extra = sorted(set().union(*(_assumed(u) - _assumed(s) for u in sp.sympify(v).free_symbols)))
        return f"{s} = {text(v)}" + (f" ({', '.join(extra)})" if extra else "")

    inputs = [shown(s, v) for s, v in fixed.items() if s in net.inputs]
    targets = [shown(s, v) for s, v in fixed.items() if s in net.targets]
    parts = inputs + ([f"target {', '.join(targets)}"] if targets else [])
    return ", ".join(parts) or None


ASSUMPTIONS = ("positive", "negative", "nonzero", "nonnegative", "nonpositive", "integer", "rational", "even", "odd",
               "prime")


def _assumed(symbol) -> set[str]:
    """The declared properties of ``symbol`` a reader cares about (positive, integer, ...)."""
    facts = symbol.assumptions0 if isinstance(symbol, sp.Symbol) else {}
    found = {k for k in ASSUMPTIONS if facts.get(k)}
    # report the strongest sign only: positive implies nonzero and nonnegative
    if "positive" in found or "negative" in found:
        found -= {"nonzero", "nonnegative", "nonpositive"}
    if "even" in found or "odd" in found or "prime" in found:
        found -= {"integer", "rational"}
    if "integer" in found:
        found.discard("rational")
    return found


def scope(net) -> str:
    """For which inputs a claim holds: "every input", or the data's restriction.

    >>> import sympy as sp
    >>> from symgrad import examples
    >>> scope(examples.toy()), scope(examples.toy().with_data([{sp.Symbol("x2"): sp.Symbol("x1")}]))
    ('every input', 'every input with x2 = x1')
    """
    restriction = data_phrase(net)
    samples = len(net.samples)
    if restriction is None:
        every = "every input" + (" and target" if net.targets else "")
        return every if samples == 1 else f"{every} of {samples} samples (gradients summed)"
    if samples == 1:
        return f"every input with {restriction}" if not restriction.startswith("target") else \
            f"every input, with {restriction}"
    return f"the {samples} samples of the data (gradients summed; {restriction})"


def conclusion(proof) -> str:
    """The invariant ties in one sentence, with their scope."""
    tied = [class_text(c) for c in proof.invariant if len(c) > 1]
    if not tied:
        return "no two parameters are proven tied on the whole tied subspace"
    return f"{join_and(tied)} for every step, every learning rate and {scope(proof.network)}"


def stationary_text(proof, objective) -> str:
    """The stationarity verdict: proven, refuted with its point, or undecided."""
    if proof.stationary:
        return "proven: every gradient vanishes identically at the initial point; nothing ever moves."
    if proof.stationary is False and proof.stationary_witness:
        w, point, value = proof.stationary_witness
        return f"no: d{objective}/d{w} = {text(value)} at {point_text(point)}."
    if proof.engine == "structural":
        return "not decided by this engine."
    return "undecided (no gradient is proven nonzero, and not every one is proven zero)."


def point_text(point: dict) -> str:
    """``a = 1/2, x1 = 3`` (in natural name order)."""
    return ", ".join(f"{s} = {text(v)}" for s, v in sorted(point.items(), key=lambda kv: natural_key(str(kv[0])))) or "any point"


def frozen_lines(proof) -> list[str]:
    """Which parameters never move, and what follows for ties among them."""
    if proof.frozen is None:
        return ["Never moves: not decided by this engine."]
    if not proof.frozen:
        return ["Never moves: no parameter is proven frozen."]
    lines = [f"Never moves: {', '.join(map(str, proof.frozen))} (each gradient vanishes identically while these "
             "keep their initial values, whatever the others do; so under gradient descent, momentum, Adam or any "
             "step that is zero for a zero gradient; weight decay would still shrink a nonzero one toward 0)."]
    same: dict = {}
    for p in proof.frozen_parameters:
        same.setdefault(proof.initial_values[p], []).append(proof.network.parameters[p])
    groups = [f"{class_text(g)} = {text(v)}" for v, g in same.items() if len(g) > 1]
    if groups:
        lines.append(f"  so these stay equal forever from this initialisation: {join_and(groups)}.")
    return lines


def separation_lines(proof, shown: int = 12) -> list[str]:
    """The trajectory witnesses, by run, and the pairs of classes no run separated."""
    classes = proof.invariant
    if len(classes) < 2:
        return []
    lines = []
    every = len(classes) * (len(classes) - 1) // 2
    for (lr, point, arithmetic), steps in by_run(proof.separations).items():
        shown_steps = []
        for k, found in steps.items():
            pairs = [f"{sep.first}/{sep.second}" for sep in found]
            shown_steps.append(f"step {k}: {f'all {every:,} pairs' if len(pairs) == every else _some(pairs, shown)}")
        lines.append(f"  gradient descent with eta = {text(lr)} at {point_text(dict(point))} "
                     f"({ARITHMETIC[arithmetic]}; the first step at which the pair differs): {'; '.join(shown_steps)}")
    if lines:
        lines.insert(0, "Separate (pairs of classes, by a representative each, that differ along a run of gradient "
                        "descent from the initial point):")
    if proof.not_separated is None:
        lines.append("Not shown to separate: no run was tried for a network this large.")
        return lines
    open_pairs = [f"{{{', '.join(map(str, classes[i]))}}} and {{{', '.join(map(str, classes[j]))}}}"
                  for i, j in proof.open_pairs]
    if open_pairs:
        lines.append(f"Not shown to separate (no run found them differ; a coarser tie may survive from this "
                     f"initialisation): {_some(open_pairs, shown)}.")
    return lines


ARITHMETIC = {"exact": "computed exactly", "interval": "rigorous interval enclosures, disjoint"}


def _some(items: list[str], shown: int) -> str:
    return ", ".join(items) if len(items) <= shown else ", ".join(items[:shown]) + f" and {len(items) - shown:,} more"


def at_init_heading(proof) -> str:
    """What the list of classes at the initial point shows: equal gradients,
    gradients of their own (a class of one), or both."""
    tied, alone = (any((len(c) > 1) is kind for c in proof.at_init_classes) for kind in (True, False))
    structural = proof.engine != "algebraic"
    if not tied:
        return "At the initial point, no two gradients " + ("shown equal (this engine sees structure, not algebra)"
                                                            if structural else "are equal")
    return "At the initial point, equal gradients" + (" (in braces)" if alone else "") + (
        " (at least these; this engine sees structure, not algebra)" if structural else "") + (
        " and gradients of their own" if alone else "")


def proof_text(proof, widths=None) -> str:
    """A proof as text: classes at the initial point, the induction step with
    one symbol per class, the invariant ties, stationarity, frozen parameters,
    separations and (if given) the effective width of each layer."""
    net = proof.network
    objective = net.nodes[net.objective].symbol
    params = net.parameters
    lines = [f"{net.name}: {proof.init.describe()}{proof.init.bias_phrase(net)} ({proof.engine} engine)"]
    restriction = data_phrase(net)
    if restriction is not None or len(net.samples) > 1:
        lines.append(f"Data: {len(net.samples)} sample{'s' if len(net.samples) > 1 else ''}"
                     f"{', gradients summed' if len(net.samples) > 1 else ''}; every claim holds for {scope(net)}")
    lines += ["", at_init_heading(proof) + ":"]
    for c, members in zip(proof.at_init_classes, proof.at_init):
        forms = with_factored(proof.at_init_gradients[c[0]]) if proof.at_init_gradients else []
        grad = f": d{objective}/d{members[0]} = " + " = ".join(map(short_text, forms)) if forms else ""
        lines.append(f"  {{{', '.join(map(str, members))}}}{grad}" if len(members) > 1 else f"  {members[0]}{grad}")
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
    lines += ["", *separation_lines(proof)] if len(proof.invariant) > 1 else []
    lines += ["", f"Stationary point: {stationary_text(proof, objective)}"]
    lines += frozen_lines(proof)
    wide = [w for w in widths or () if w.units > 1]
    if wide:
        lines += ["", "Effective width: " + ", ".join(f"{w.layer}: {w.distinct} of {w.units} units" for w in wide)]
    lines += [f"  note: {n}" for n in proof.notes]
    return "\n".join(lines)


SUMMARY_LIMIT = 2_000  # parameters beyond which a proof prints as a summary (the full listing: --full, --json)


def proof_summary(proof, widths=None) -> str:
    """A proof of a large network in a screenful: class counts and sizes,
    effective width per layer, stationarity and frozen parameters."""
    net = proof.network
    lines = [f"{net.name}: {proof.init.describe()}{proof.init.bias_phrase(net)} ({proof.engine} engine)",
             f"  {net.parameter_count:,} parameters ({net.weight_count:,} weights, {net.bias_count:,} biases)", ""]
    lines.append(f"Equal gradients at the initial point: {_sizes(proof.at_init_classes)}"
                 + (" (at least these; this engine sees structure, not algebra)" if proof.engine == "structural" else ""))
    lines.append(f"Tied forever (for every step, every learning rate and {scope(net)}): {_sizes(proof.invariant_classes)}")
    if widths:
        lines += ["", "Effective width by layer:"]
        lines += [f"  {w.layer}: {w.distinct:,} distinct of {w.units:,} units" for w in widths if w.units > 1]
    objective = net.nodes[net.objective].symbol
    lines += ["", f"Stationary point: {stationary_text(proof, objective)}"]
    if proof.frozen is None:
        lines.append("Never moves: not decided by this engine.")
    else:
        lines.append(f"Never moves: {len(proof.frozen):,} parameters" if proof.frozen else
                     "Never moves: no parameter is proven frozen.")
    lines += [f"  note: {n}" for n in proof.notes]
    lines += ["", "(every class in full: --full, or --json)"]
    return "\n".join(lines)


def _sizes(classes) -> str:
    """How many classes, and how many of each size.

    >>> _sizes(((0, 1), (2, 3), (4,)))
    '3 classes: 2 with 2 parameters each, 1 with 1 parameter'
    """
    counts: dict[int, int] = {}
    for c in classes:
        counts[len(c)] = counts.get(len(c), 0) + 1
    parts = [f"{k:,} with {size:,} parameter{'s' if size != 1 else ''}{' each' if k > 1 else ''}"
             for size, k in sorted(counts.items(), reverse=True)[:6]]
    return f"{len(classes):,} class{'es' if len(classes) != 1 else ''}: {', '.join(parts)}{', ...' if len(counts) > 6 else ''}"


def trajectory_text(trajectory) -> str:
    """The unrolled steps as text: after each step, equal parameters share a line."""
    lines = [f"{trajectory.network.name}: {trajectory.steps} step{'s' if trajectory.steps != 1 else ''} of "
             f"{type(trajectory.optimiser).__name__} from {trajectory.init.describe()}, learning rate {text(trajectory.lr)}"]
    for t in range(1, trajectory.steps + 1):
        lines += ["", f"After step {t}:"]
        for members in trajectory.ties(t):
            lines.append(f"  {class_text(members)} = {short_text(trajectory.value(t, members[0]))}")
    return "\n".join(lines)


def trajectory_latex(trajectory) -> str:
    """The last step's values as LaTeX (for Jupyter)."""
    t = trajectory.steps
    rows = [f"{' = '.join(latex(p) for p in c)} &= {latex(trajectory.value(t, c[0]))}" for c in trajectory.ties(t)]
    return "\\text{after step %d:}\\quad\\begin{aligned}%s\\end{aligned}" % (t, r" \\ ".join(rows))


def proof_latex(proof) -> str:
    """The invariant classes as LaTeX (for Jupyter); a summary for many classes."""
    tied = [c for c in proof.invariant_classes if len(c) > 1]
    if len(tied) > LATEX_LIMIT or sum(map(len, tied)) > 4 * LATEX_LIMIT:
        return r"\text{%s}" % latex_text(f"{len(tied):,} classes of tied parameters, "
                                             f"{sum(map(len, tied)):,} parameters in all (print the proof for them)")
    rows = [" = ".join(latex(p) for p in c) for c in proof.invariant if len(c) > 1] or [r"\text{no ties}"]
    return r"\text{tied forever: } " + r",\quad ".join(rows)


# -- the printers of symgrad's objects (symgrad.printable) ---------------------------------
class ObjectPrinter:
    """Prints an object with the method ``_print_<Class>`` of its class or
    the nearest base that has one (as SymPy's printers do)."""

    def doprint(self, obj) -> str:
        for cls in type(obj).__mro__:
            method = getattr(self, f"_print_{cls.__name__}", None)
            if method is not None:
                return method(obj)
        return object.__repr__(obj)


class TextPrinter(ObjectPrinter):
    """``str``: readable text for a terminal."""

    def _print_Network(self, net) -> str:
        counts = f"{len(net.input_nodes)} inputs, {len(net.neurons)} neurons, {net.weight_count} weights"
        if net.bias_count:
            counts += f", {net.bias_count} biases"
        return f"Network {net.name!r}: {counts}, objective {net.nodes[net.objective].symbol}"

    def _print_Derivation(self, d) -> str:
        return derivation_text(d)

    def _print_Proof(self, proof) -> str:
        return proof_summary(proof) if proof.network.parameter_count > SUMMARY_LIMIT else proof_text(proof)

    def _print_Trajectory(self, trajectory) -> str:
        return trajectory_text(trajectory)

    def _print_Constraint(self, init) -> str:
        return init.describe()

    def _print_Quotient(self, q) -> str:
        verdict = {True: "computes the same objective (proven)", False: "computes a different objective",
                   None: "computes the same objective (not proven)"}[q.equal]
        return (f"Quotient of {q.original.name!r}: {q.original.weight_count} weights become {q.network.weight_count}; "
                f"the quotient {verdict}")

    def _print_LayerWidth(self, w) -> str:
        groups = "; ".join(class_text(g) for g in w.groups if len(g) > 1)
        return f"{w.layer}: {w.distinct} distinct of {w.units} units" + (f" ({groups})" if groups else "")

    def _print_Description(self, d) -> str:
        init = d.init.describe() if d.init is not None else "no initialisation given"
        return f"{self._print_Network(d.network)}; {init} (from {d.source})"

    def _print_Trace(self, trace) -> str:
        return (f"Trace of {trace.network.name!r}: {len(trace.values) - 1} steps of float64 training, "
                f"{trace.network.parameter_count} parameters")


class ShortPrinter(TextPrinter):
    """``repr``: one line in angle brackets, never a dump of the fields."""

    def doprint(self, obj) -> str:
        return f"<{super().doprint(obj)}>"

    def _print_Derivation(self, d) -> str:
        return f"Derivation of {d.network.name!r}: {d.network.parameter_count} gradients"

    def _print_Proof(self, proof) -> str:
        return f"Proof ({proof.engine}) for {proof.network.name!r}: {len(proof.invariant_classes)} invariant classes"

    def _print_Trajectory(self, t) -> str:
        return f"Trajectory of {t.network.name!r}: {t.steps} step{'s' if t.steps != 1 else ''}"

    def _print_Constraint(self, init) -> str:
        return f"{type(init).__name__}: {init.describe()}"


class LatexObjectPrinter(ObjectPrinter):
    """LaTeX (math mode, no delimiters) for Jupyter and ``sympy.latex``."""

    def _print_Network(self, net) -> str:
        return network_latex(net)

    def _print_Derivation(self, d) -> str:
        return derivation_latex(d)

    def _print_Proof(self, proof) -> str:
        return proof_latex(proof)

    def _print_Trajectory(self, trajectory) -> str:
        return trajectory_latex(trajectory)

    def _print_Description(self, d) -> str:
        return network_latex(d.network)

    def _print_Quotient(self, q) -> str:
        rows = [f"{latex(k)} &= {latex(v)}" for k, v in q.merged.items()]
        return "\\begin{aligned}%s\\end{aligned}" % r" \\ ".join(rows) if rows else r"\text{%s}" % latex_text(TEXT.doprint(q))

    def _print_Printable(self, obj) -> str:
        return r"\text{%s}" % latex_text(TEXT.doprint(obj))


TEXT, SHORT, LATEX = TextPrinter(), ShortPrinter(), LatexObjectPrinter()
