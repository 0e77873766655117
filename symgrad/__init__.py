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

# public name -> the module that defines it
_PUBLIC = {
    "SymgradError": "base.errors",
    "Layer": "model.nodes", "Network": "model.graph", "NetworkBuilder": "model.graph", "Node": "model.nodes",
    "Derivation": "maths.derivation", "derive": "maths.derivation",
    "Constant": "model.constraints", "Distinct": "model.constraints", "PerLayer": "model.constraints", "Tied": "model.constraints",
    "Zero": "model.constraints",
    "prove": "proofs.symmetry",
    "Trajectory": "dynamics.unrolling", "unroll": "dynamics.unrolling",
    "Adam": "dynamics.optim", "GradientDescent": "dynamics.optim", "Momentum": "dynamics.optim",
    "Trace": "dynamics.training", "train": "dynamics.training",
    "Linearisation": "dynamics.linearisation", "linearise": "dynamics.linearisation",
    "Swap": "model.swaps", "unit_swap": "model.swaps",
    "Counterexample": "dynamics.perceptron", "LearningRateTheorem": "dynamics.perceptron",
    "learning_rate_counterexample": "dynamics.perceptron", "learning_rate_theorem": "dynamics.perceptron",
    "effective_width": "dynamics.quotients", "quotient": "dynamics.quotients",
    "describe": "specs.description", "load": "specs.description",
    "lint": "tensor", "from_torch": "tensor.convert", "Given": "model.constraints",
}
# public modules: name -> where it lives
_MODULES = {"data": "model.data", "description": "specs.description", "examples": "specs.examples",
            "present": "present", "testing": "testing"}
__all__ = sorted(_PUBLIC | _MODULES)


def __getattr__(name: str):
    """Import what ``name`` needs on first use (PEP 562), as SciPy does."""
    if name in _MODULES:
        value = import_module(f".{_MODULES[name]}", __name__)
    elif name in _PUBLIC:
        value = getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'symgrad' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
