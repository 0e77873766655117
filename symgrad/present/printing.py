"""How symgrad's objects print: ``TEXT`` (``str``), ``SHORT`` (``repr``) and
``LATEX`` (Jupyter), printers with a method per class (``_print_Proof``, ...)
that arrange strings printed by ``expressions`` and ``phrases``.

>>> from symgrad import Network
>>> TEXT.doprint(Network.mlp([2, 1]))
"Network 'mlp 2-1': 2 inputs, 1 neurons, 2 weights, objective y"
"""
from __future__ import annotations

import dataclasses

from ..maths.derivation import derive
from .expressions import latex, latex_text, short_text, text, with_factored
from .phrases import SUMMARY_LIMIT, at_init_heading, class_sizes, class_text, conclusion, data_phrase, derivative_label, frozen_lines, scope, separation_lines, stationary_text


LATEX_LIMIT = 60  # parameters beyond which Jupyter shows a summary instead of every equation


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


def derivation_latex(d, limit: int = LATEX_LIMIT) -> str:
    """The derivation as one LaTeX ``aligned`` block (for Jupyter)."""
    net = d.network
    if net.parameter_count > limit:
        return r"\text{%s}" % latex_text(f"Derivation of {network_summary(net)} (gradients elided: print it, "
                                             "or use .gradient(w))")
    objective = latex(net.nodes[net.objective].symbol)
    rows = [f"{latex(y)} &= {latex(v)}" for y, v in d.forward.items()]
    for w in net.parameters[:40]:
        steps = " = ".join(latex(s) for s in d.steps(w))
        rows.append(r"\frac{\partial %s}{\partial %s} &= %s" % (objective, latex(w), steps))
    return "\\begin{aligned}%s\\end{aligned}" % r" \\ ".join(rows)


def network_summary(net) -> str:
    """One line for a network of any size: its layers and counts.

    >>> from symgrad import Network
    >>> network_summary(Network.mlp([300, 300, 1]))
    "'mlp 300-300-1': layers inputs 300, layer 1 300, layer 2 1; 90,300 weights"
    """
    layers = ", ".join(f"{layer.name} {len(layer.units):,}" for layer in net.layers)
    counts = f"{net.weight_count:,} weights" + (f", {net.bias_count:,} biases" if net.bias_count else "")
    return f"{net.name!r}: layers {layers}; {counts}" if layers else f"{net.name!r}: {counts}"


def network_latex(net, limit: int = LATEX_LIMIT) -> str:
    """The network's forward equations as LaTeX (for Jupyter); a summary
    beyond ``limit`` parameters, as NumPy elides large arrays."""
    if net.parameter_count > limit:
        return r"\text{%s}" % latex_text(f"Network {network_summary(net)} (equations elided)")
    rows = [f"{latex(y)} &= {latex(v)}" for y, v in derive(net).forward.items()]
    return "\\begin{aligned}%s\\end{aligned}" % r" \\ ".join(rows)


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




def proof_summary(proof, widths=None) -> str:
    """A proof of a large network in a screenful: class counts and sizes,
    effective width per layer, stationarity and frozen parameters."""
    net = proof.network
    lines = [f"{net.name}: {proof.init.describe()}{proof.init.bias_phrase(net)} ({proof.engine} engine)",
             f"  {net.parameter_count:,} parameters ({net.weight_count:,} weights, {net.bias_count:,} biases)", ""]
    lines.append(f"Equal gradients at the initial point: {class_sizes(proof.at_init_classes)}"
                 + (" (at least these; this engine sees structure, not algebra)" if proof.engine == "structural" else ""))
    lines.append(f"Tied forever (for every step, every learning rate and {scope(net)}): {class_sizes(proof.invariant_classes)}")
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


def proof_latex(proof, limit: int = LATEX_LIMIT) -> str:
    """The invariant classes as LaTeX (for Jupyter); a summary for many classes."""
    tied = [c for c in proof.invariant_classes if len(c) > 1]
    if len(tied) > limit or sum(map(len, tied)) > 4 * limit:
        return r"\text{%s}" % latex_text(f"{len(tied):,} classes of tied parameters, "
                                             f"{sum(map(len, tied)):,} parameters in all (print the proof for them)")
    rows = [" = ".join(latex(p) for p in c) for c in proof.invariant if len(c) > 1] or [r"\text{no ties}"]
    return r"\text{tied forever: } " + r",\quad ".join(rows)


# -- the printers of symgrad's objects (symgrad.base.printable) ---------------------------------
class ObjectPrinter:
    """Prints an object with the method ``_print_<Class>`` of its class or
    the nearest base that has one, under settings (``_default_settings``,
    overridden by keyword), as SymPy's printers do.

    >>> from symgrad import examples, prove, Constant
    >>> print(TextPrinter(summary_limit=5).doprint(prove(examples.toy(), Constant("a"))).splitlines()[3])
    Equal gradients at the initial point: 4 classes: 1 with 4 parameters, 3 with 2 parameters each
    """

    _default_settings: dict = {}

    def __init__(self, **settings):
        unknown = sorted(set(settings) - set(self._default_settings))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no setting {', '.join(unknown)}")
        self._settings = {**self._default_settings, **settings}

    def doprint(self, obj) -> str:
        for cls in type(obj).__mro__:
            method = getattr(self, f"_print_{cls.__name__}", None)
            if method is not None:
                return method(obj)
        return object.__repr__(obj)


class TextPrinter(ObjectPrinter):
    """``str``: readable text for a terminal."""

    _default_settings = {"summary_limit": SUMMARY_LIMIT}

    def _print_Network(self, net) -> str:
        counts = f"{len(net.input_nodes)} inputs, {len(net.neurons)} neurons, {net.weight_count} weights"
        if net.bias_count:
            counts += f", {net.bias_count} biases"
        return f"Network {net.name!r}: {counts}, objective {net.nodes[net.objective].symbol}"

    def _print_Derivation(self, d) -> str:
        return derivation_text(d)

    def _print_Proof(self, proof) -> str:
        big = proof.network.parameter_count > self._settings["summary_limit"]
        return proof_summary(proof) if big else proof_text(proof)

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

    def _print_Swap(self, swap) -> str:
        name = swap.network.param_name
        return ", ".join(f"{name(p)} <-> {name(q)}" for p, q in swap.pairs)

    def _print_Linearisation(self, lin) -> str:
        radius = text(lin.spectral_radius) if lin.exact else f"{float(lin.spectral_radius):.6g}"
        return (f"Linearisation of {lin.network.name!r} at a tied point, learning rate {text(lin.lr)}: a small "
                f"difference between the swapped units ({self._print_Swap(lin.swap)}) {GROWTH[lin.verdict]} "
                f"(spectral radius {radius})")

    def _print_LearningRateTheorem(self, theorem) -> str:
        name = theorem.network.name
        if not theorem.applies:
            return f"The learning-rate theorem does not apply to {name!r} (the decision is not linear in the weights)"
        verdict = "eta only scales w(t)" if theorem.holds else "not shown that eta only scales w(t)"
        return f"Learning rate from zero init on {name!r}: {verdict} ({len(theorem.unrolled) - 1} steps unrolled)"

    def _print_Counterexample(self, found) -> str:
        lrs = " and ".join(text(lr) for lr in found.lrs)
        return (f"Counterexample on {found.network.name!r}: learning rates {lrs} predict "
                f"{' and '.join(text(p) for p in found.predictions)} on sample {found.sample + 1} after {found.step} "
                f"updates from w(0) = ({', '.join(text(w) for w in found.init)})")

    def _print_Optimiser(self, opt) -> str:
        settings = ", ".join(f"{f.name} = {text(getattr(opt, f.name))}" for f in dataclasses.fields(opt))
        return f"{type(opt).__name__}" + (f" ({settings})" if settings else "")

    def _print_Imported(self, imp) -> str:
        unused = sum(int((ix < 0).sum()) for ix in imp.index.values())
        lines = [f"The torch model {imp.model} as a scalar network (objective {imp.objective})",
                 self._print_Network(imp.network), f"Initialisation: {imp.init.describe()}"]
        if unused:
            lines.append(f"{unused} parameter entries reach no objective (their gradient is 0): not in the network")
        return "\n".join(lines + [f"Note: {note}" for note in imp.notes])

    def _print_NetworkBuilder(self, b) -> str:
        return f"NetworkBuilder {b.name!r}: {b.node_count} nodes, {b.weight_total} weights, {b.bias_total} biases so far"

    def _print_Node(self, node) -> str:
        what = f", {node.activation}" if node.kind == "neuron" else f", {node.op.name}" if node.op is not None else ""
        return f"{node.kind} {node.symbol} (layer {node.layer}{what})"

    def _print_Layer(self, layer) -> str:
        return f"layer {layer.name!r} ({layer.kind}): {len(layer.units)} unit{'s' if len(layer.units) != 1 else ''}"


GROWTH = {"grows": "grows in some direction", "shrinks": "shrinks in every direction",
          "neutral": "is not decided to first order"}


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

    def _print_Imported(self, imp) -> str:
        return f"Imported {imp.model}: {imp.network.parameter_count} parameters, {len(imp.network.nodes)} scalar nodes"

    def _print_Swap(self, swap) -> str:
        return f"Swap {super()._print_Swap(swap)}"


class LatexObjectPrinter(ObjectPrinter):
    """LaTeX (math mode, no delimiters) for Jupyter and ``sympy.latex``."""

    _default_settings = {"latex_limit": LATEX_LIMIT}

    def _print_Network(self, net) -> str:
        return network_latex(net, self._settings["latex_limit"])

    def _print_Derivation(self, d) -> str:
        return derivation_latex(d, self._settings["latex_limit"])

    def _print_Proof(self, proof) -> str:
        return proof_latex(proof, self._settings["latex_limit"])

    def _print_Trajectory(self, trajectory) -> str:
        return trajectory_latex(trajectory)

    def _print_Description(self, d) -> str:
        return network_latex(d.network, self._settings["latex_limit"])

    def _print_Quotient(self, q) -> str:
        rows = [f"{latex(k)} &= {latex(v)}" for k, v in q.merged.items()]
        return "\\begin{aligned}%s\\end{aligned}" % r" \\ ".join(rows) if rows else r"\text{%s}" % latex_text(TEXT.doprint(q))

    def _print_Swap(self, swap) -> str:
        name = swap.network.parameters
        return r",\quad ".join(f"{latex(name[p])} \\leftrightarrow {latex(name[q])}" for p, q in swap.pairs)

    def _print_Printable(self, obj) -> str:
        return r"\text{%s}" % latex_text(TEXT.doprint(obj))


TEXT, SHORT, LATEX = TextPrinter(), ShortPrinter(), LatexObjectPrinter()
