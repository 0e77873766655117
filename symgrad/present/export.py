"""Plain dicts for JSON: expressions as SymPy strings (``sympy.sympify``
reads them back), parameter classes as lists of names.

>>> from symgrad import derive, examples
>>> derivation_dict(derive(examples.toy()))["gradients"]["w1"]
'x1*(w10*w6 + w5*w9)'
"""
from __future__ import annotations

from .phrases import conclusion, scope

def text(expr) -> str:
    """JSON's form of an expression: ``str(expr)``, which ``sympy.sympify`` reads back."""
    return str(expr)

STEPS_LIMIT = 60  # parameters beyond which the step chains are left out


def derivation_dict(d) -> dict:
    """The derivation as the CLI's JSON object."""
    net = d.network
    out = {
        "network": net.name,
        "weights": [str(w) for w in net.weights],
        "biases": [str(b) for b in net.biases],
        "inputs": [str(x) for x in net.inputs],
        "objective": str(net.nodes[net.objective].symbol),
        "forward": {str(y): text(v) for y, v in d.forward.items()},
        "pre_activations": {str(z): text(v) for z, v in d.pre.items()},
        "deltas": {str(s): text(v) for s, v in d.deltas.items()},
        "gradients": {str(w): text(g) for w, g in d.gradients().items()},
        "chain": {str(w): text(d.chain(w)) for w in net.parameters},
    }
    if net.parameter_count <= STEPS_LIMIT:
        out["steps"] = {str(w): [text(s) for s in d.steps(w)] for w in net.parameters}
    return out


def witness_dict(witness) -> dict | None:
    """``(parameter, point, gradient)`` where a gradient is provably not 0, as JSON."""
    if witness is None:
        return None
    parameter, point, value = witness
    return {"parameter": str(parameter), "point": {str(k): text(v) for k, v in point.items()}, "gradient": text(value)}


def names(classes) -> list[list[str]]:
    return [[str(p) for p in c] for c in classes]


def proof_dict(proof, widths=None) -> dict:
    """The proof as the CLI's JSON object (with effective widths if given)."""
    net = proof.network
    params = net.parameters
    out = {
        "network": net.name,
        "init": proof.init.describe() + proof.init.bias_phrase(net),
        "engine": proof.engine,
        "samples": len(net.samples),
        "at_init": names(proof.at_init),
        "invariant": names(proof.invariant),
        "stationary": proof.stationary,
        "stationary_witness": witness_dict(proof.stationary_witness),
        "frozen": None if proof.frozen is None else [str(p) for p in proof.frozen],
        "separations": [{"classes": [str(s.first), str(s.second)], "step": s.step, "lr": text(s.lr),
                         "point": {str(k): text(v) for k, v in s.point.items()}} for s in proof.separations],
        "not_separated": None if proof.not_separated is None else
        [names([proof.invariant[i], proof.invariant[j]]) for i, j in proof.not_separated],
        "undecided": [[str(params[a]), str(params[b])] for a, b in proof.undecided],
        "statement": conclusion(proof),
        "scope": scope(net),
        "notes": list(proof.notes),
    }
    if net.parameter_count <= STEPS_LIMIT * 10:
        out["initial_values"] = {str(p): text(v) for p, v in zip(params, proof.initial_values)}
    if proof.at_init_gradients:
        out["at_init_gradients"] = {str(p): text(g) for p, g in zip(params, proof.at_init_gradients)}
    if widths is not None:
        out["effective_width"] = [{"layer": w.layer, "units": w.units, "distinct": w.distinct,
                                   "groups": names(w.groups)} for w in widths]
    step = proof.step
    if step is not None and step.gradients is not None:
        out["step"] = {
            "substitution": {str(k): str(v) for k, v in step.substitution(params).items()},
            "gradients": {str(params[c[0]]): text(step.gradients[c[0]]) for c in step.classes},
            "rounds": len(proof.rounds),
        }
    return out
