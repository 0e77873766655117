"""symgrad: exact, symbolic reasoning about neural-network gradients.

Build a network whose weights are SymPy symbols, derive every gradient
exactly, substitute an initialisation and prove which weights stay tied.
The package is lazy: importing it (or its pytest plugin, or its command
line) loads no SymPy until a name below is first used.

>>> import symgrad as sg
>>> net = sg.examples.toy()
>>> sg.derive(net).gradient("w9")
w5*(w1*x1 + w3*x2) + w7*(w2*x1 + w4*x2)
"""
from importlib import import_module

__version__ = "0.1.0"

# public name -> the module that defines it (submodules are public names themselves)
_PUBLIC = {
    "SymgradError": "errors",
    "Layer": "graph", "Network": "graph", "NetworkBuilder": "graph", "Node": "graph",
    "Derivation": "derivation", "derive": "derivation",
    "Constant": "constraints", "Distinct": "constraints", "PerLayer": "constraints", "Tied": "constraints",
    "Zero": "constraints",
    "prove": "symmetry",
    "Trajectory": "unrolling", "unroll": "unrolling",
    "Adam": "optim", "GradientDescent": "optim", "Momentum": "optim",
    "Trace": "training", "train": "training",
    "Linearisation": "linearisation", "Swap": "linearisation", "linearise": "linearisation",
    "unit_swap": "linearisation",
    "Counterexample": "perceptron", "LearningRateTheorem": "perceptron",
    "learning_rate_counterexample": "perceptron", "learning_rate_theorem": "perceptron",
    "effective_width": "quotients", "quotient": "quotients",
    "describe": "description", "load": "description",
    "lint": "tensor",
    "data": None, "description": None, "examples": None, "testing": None,
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    """Import what ``name`` needs on first use (PEP 562), as SciPy does."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'symgrad' has no attribute {name!r}")
    module = import_module(f".{_PUBLIC[name] or name}", __name__)
    value = module if _PUBLIC[name] is None else getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
