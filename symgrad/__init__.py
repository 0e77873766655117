"""symgrad: exact, symbolic reasoning about neural-network gradients.

Build a network whose weights are SymPy symbols, derive every gradient
exactly, substitute an initialisation and prove which weights stay tied.

>>> import symgrad as sg
>>> net = sg.examples.toy()
>>> sg.derive(net).gradient("w9")
w5*(w1*x1 + w3*x2) + w7*(w2*x1 + w4*x2)
"""
import os as _os

# SymPy's cache of 1,000 entries slows large derivations several times; the
# size is read once, when SymPy is first imported.
_os.environ.setdefault("SYMPY_CACHE_SIZE", "200000")

from .errors import SymgradError  # noqa: E402
from .graph import Layer, Network, NetworkBuilder, Node  # noqa: E402
from .derive import Derivation, derive  # noqa: E402
from .constraints import Constant, Distinct, PerLayer, Tied, Zero  # noqa: E402
from .symmetry import prove  # noqa: E402
from .unroll import Trajectory, unroll  # noqa: E402
from .optim import Adam, GradientDescent, Momentum  # noqa: E402
from .train import Trace, train  # noqa: E402
from .linearise import Linearisation, Swap, linearise, unit_swap  # noqa: E402
from .perceptron import Counterexample, LearningRateTheorem, learning_rate_counterexample, learning_rate_theorem  # noqa: E402
from .quotient import effective_width, quotient  # noqa: E402
from .description import describe, load  # noqa: E402
from . import data, description, examples, testing  # noqa: E402

__all__ = [
    "Adam", "Constant", "Counterexample", "Derivation", "Distinct", "GradientDescent", "Layer", "LearningRateTheorem",
    "Linearisation", "Momentum", "Network", "NetworkBuilder", "Node", "PerLayer", "Swap", "SymgradError", "Tied",
    "Trace", "Trajectory", "Zero", "data", "derive", "describe", "description", "effective_width", "examples", "learning_rate_counterexample",
    "learning_rate_theorem", "linearise", "load", "prove", "quotient", "testing", "train", "unit_swap", "unroll",
]
__version__ = "0.1.0"
