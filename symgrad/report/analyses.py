"""The extra sections some examples ask for, typeset from their results in
the study (``symgrad.report.study``): the quotient network, a numeric
training trace, the linearisation around a tied point, and the perceptron's
learning-rate theorem.  Each returns a dict for its template
(``analysis_*.tex.jinja``) with a title and a one-line summary.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import sympy as sp

from ..present.expressions import latex
from .environment import TeX, escape
from .plot import plot_trace
from .study import LearningRateStudy, LineariseStudy, QuotientStudy, TraceStudy
from .typeset import block


def tex(expr) -> TeX:
    return TeX(latex(expr))


def number(value, digits: int = 5) -> TeX:
    value = sp.sympify(value)
    return tex(value if value.is_Rational else sp.Float(value, digits))


def analysis(result, assets: dict) -> dict:
    """The section of one analysis, typeset from its result (``symgrad.report.study``);
    a figure it draws goes into ``assets``."""
    handlers = {QuotientStudy: _quotient, TraceStudy: _trace, LineariseStudy: _linearise,
                LearningRateStudy: _learning_rate}
    return handlers[type(result)](result, assets)


def _quotient(result, assets) -> dict:
    q = result.quotient
    return {
        "template": "analysis_quotient.tex.jinja", "title": "The quotient network",
        "summary": TeX(escape(f"Under the ties of the first scenario above the network computes the same function as a "
                              f"network with {q.network.weight_count} weights instead of {q.original.weight_count}.")),
        "merged": [{"lhs": tex(k), "value": tex(v)} for k, v in q.merged.items()],
        "forward": block([(tex(k), v) for k, v in result.derivation.forward.items()]),
        "equal": q.equal,
    }


def _trace(result, assets) -> dict:
    trace, proof = result.trace, result.proof
    try:
        assets["trace"] = _figure(trace, proof)
    except ImportError:  # matplotlib is an optional extra; the report says how to get the figure
        pass
    point = ", ".join(f"${latex(k)} = {v:.3f}$" for k, v in trace.point.items())
    return {"template": "analysis_trace.tex.jinja", "title": "A numeric training trace", "figure": "trace",
            "steps": result.steps, "point": TeX(point), "classes": len(proof.invariant_classes),
            "init": proof.init.describe(),
            "summary": TeX(escape(f"Trained numerically, the weights move in {len(proof.invariant_classes)} bundles, "
                                  "one per invariant class."))}


def _figure(trace, proof) -> bytes:
    """The trace plotted by ``symgrad.report.plot`` as PDF bytes."""
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "trace.pdf"
        plot_trace(trace, path, proof)
        return path.read_bytes()


def _linearise(result, assets) -> dict:
    net, swap, runs = result.network, result.swap, result.runs
    first = runs[0]
    verdicts = {r.verdict for r in runs}
    causes = ["the tied point is a saddle in these directions (negative curvature: some difference grows at any "
              "learning rate)"] if any(r.saddle for r in runs) else []
    causes += ["a large learning rate overshoots (an eigenvalue below -1)"] if any(r.overshoots for r in runs) else []
    return {
        "template": "analysis_linearise.tex.jinja", "title": "Nearly identical filters",
        "summary": TeX(escape("Linearising gradient descent at a tied point, a small difference between the two "
                              f"filters {' or '.join(sorted(verdicts))} (see the eigenvalues); it never shrinks in every "
                              "direction, since differences of the readout weights alone are flat.")),
        "swap": TeX(", ".join(rf"${latex(net.parameters[p])} \leftrightarrow {latex(net.parameters[q])}$" for p, q in swap.pairs)),
        "point": TeX(", ".join(f"${latex(net.parameters[p])} = {latex(v)}$" for p, v in enumerate(first.point))),
        "data": [TeX(", ".join(f"${latex(sp.Symbol(str(k)))} = {v}$" for k, v in s.items())) for s in result.data],
        "runs": [{"lr": tex(sp.Rational(r.lr)), "verdict": r.verdict, "radius": number(r.spectral_radius),
                  "eigenvalues": [number(v, 4) for v in r.eigenvalues], "ones": r.unit_eigenvalues,
                  "rows": [[number(r.matrix[i, j], 3) for j in range(r.matrix.cols)] for i in range(r.matrix.rows)]}
                 for r in runs],
        "directions": TeX(", ".join(rf"$e_{{{latex(a)}}} - e_{{{latex(b)}}}$" for a, b in first.directions)),
        "causes": " and ".join(causes),
    }


def _learning_rate(result, assets) -> dict:
    theorem, found = result.theorem, result.counterexample
    net = theorem.network
    if not theorem.applies:
        return _learning_rate_does_not_apply(net, theorem, found)
    params = net.parameters
    eta = theorem.lr
    return {
        "template": "analysis_learning_rate.tex.jinja", "title": "The learning rate from zero initialisation",
        "summary": TeX(escape("From zero weights every w(t) is eta times a vector free of eta, so eta never changes a "
                              "prediction; from nonzero weights it can (a checked counterexample below).")),
        "holds": theorem.holds, "eta": tex(eta),
        "scaled": TeX(", ".join(f"${latex(p)} = {latex(eta)} {latex(v)}$" for p, v in zip(params, theorem.scaled))),
        "prediction": tex(theorem.prediction),
        "step": block([(TeX(rf"{latex(p)}' / {latex(eta)}"), s) for p, s in zip(params, theorem.step_scaled)]),
        "unrolled": [{"step": t, "rows": block([(TeX(rf"{latex(p)}({t}) / {latex(eta)}"), v) for p, v in zip(params, values)])}
                     for t, values in enumerate(theorem.unrolled) if t],
        "counter": {
            "data": [TeX(", ".join(f"${latex(k)} = {latex(v)}$" for k, v in s.items())) for s in found.data],
            "init": TeX(", ".join(f"${latex(p)}(0) = {latex(v)}$" for p, v in zip(params, found.init))),
            "lrs": [tex(r) for r in found.lrs], "step": found.step, "sample": found.sample + 1,
            "scores": [tex(z) for z in found.scores], "predictions": [tex(y) for y in found.predictions],
            "weights": [TeX(", ".join(latex(v) for v in w)) for w in found.weights],
            "zero_agree": found.zero_init_agree,
        },
    }


def _learning_rate_does_not_apply(net, theorem, found) -> dict:
    """The theorem's hypothesis fails: say so, with a counterexample from zero init if one was found."""
    params = net.parameters
    return {
        "template": "analysis_learning_rate_fails.tex.jinja", "title": "The learning rate from zero initialisation",
        "summary": TeX(escape("The learning-rate theorem needs the prediction's argument to be linear in the weights; "
                              "here it is not, so the theorem does not apply.")),
        "prediction": tex(theorem.prediction),
        "counter": None if found is None else {
            "data": [TeX(", ".join(f"${latex(k)} = {latex(v)}$" for k, v in s.items())) for s in found.data],
            "lrs": [tex(r) for r in found.lrs], "step": found.step, "sample": found.sample + 1,
            "predictions": [tex(y) for y in found.predictions],
            "weights": [TeX(", ".join(latex(v) for v in w)) for w in found.weights],
        },
        "params": TeX(", ".join(f"${latex(p)}$" for p in params)),
    }
