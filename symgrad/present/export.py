"""Plain dicts for JSON: expressions as SymPy strings (``sympy.sympify``
reads them back), parameter classes as lists of names.

>>> from symgrad import derive, examples
>>> derivation_dict(derive(examples.toy()))["gradients"]["w1"]
'x1*(w10*w6 + w5*w9)'
"""
from __future__ import annotations

import json

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


def class_names(net, classes) -> list[list[str]]:
    """Classes of parameter indices as lists of their names (no symbol made per parameter).

    >>> from symgrad import examples
    >>> class_names(examples.toy(), [(0, 1), (9,)])
    [['w1', 'w2'], ['w10']]
    """
    return [[net.param_name(p) for p in c] for c in classes]


def json_chunks(value):
    """``value`` as indented JSON, in pieces as it is encoded (a large proof streams
    to its reader instead of being held as one string)."""
    return json.JSONEncoder(indent=2).iterencode(value)


def proof_dict(proof, widths=None) -> dict:
    """The proof as the CLI's JSON object (with effective widths if given)."""
    net = proof.network
    out = {
        "network": net.name,
        "init": proof.init.describe() + proof.init.bias_phrase(net),
        "engine": proof.engine,
        "samples": len(net.samples),
        "at_init": class_names(net, proof.at_init_classes),
        "invariant": class_names(net, proof.invariant_classes),
        "stationary": proof.stationary,
        "stationary_witness": witness_dict(proof.stationary_witness),
        "frozen": None if proof.frozen is None else [str(p) for p in proof.frozen],
        "separations": [{"classes": [str(s.first), str(s.second)], "step": s.step, "lr": text(s.lr),
                         "point": {str(k): text(v) for k, v in s.point.items()}} for s in proof.separations],
        "not_separated": None if proof.not_separated is None else
        [class_names(net, [proof.invariant_classes[i], proof.invariant_classes[j]]) for i, j in proof.not_separated],
        "undecided": [[net.param_name(a), net.param_name(b)] for a, b in proof.undecided],
        "statement": conclusion(proof),
        "scope": scope(net),
        "notes": list(proof.notes),
    }
    if net.parameter_count <= STEPS_LIMIT * 10:
        out["initial_values"] = {net.param_name(p): text(v) for p, v in enumerate(proof.initial_values)}
    if proof.at_init_gradients:
        out["at_init_gradients"] = {net.param_name(p): text(g) for p, g in enumerate(proof.at_init_gradients)}
    if widths is not None:
        out["effective_width"] = [{"layer": w.layer, "units": w.units, "distinct": w.distinct,
                                   "groups": names(w.groups)} for w in widths]
    step = proof.step
    if step is not None and step.gradients is not None:
        out["step"] = {
            "substitution": {net.param_name(p): net.param_name(c[0]) for c in step.classes for p in c},
            "gradients": {net.param_name(c[0]): text(step.gradients[c[0]]) for c in step.classes},
            "rounds": len(proof.rounds),
        }
    return out
