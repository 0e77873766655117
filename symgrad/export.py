"""Plain dicts for JSON: expressions as SymPy strings (``sympy.sympify``
reads them back), parameter classes as lists of names.

>>> from symgrad import derive, examples
>>> derivation_dict(derive(examples.toy()))["gradients"]["w1"]
'x1*(w10*w6 + w5*w9)'
"""
from __future__ import annotations

from .printing import text

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
