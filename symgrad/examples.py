"""The networks of the source discussions, by name, with the scenarios each
discussion asks about.

Each example is a network and a list of scenarios (an initialisation, the
data, a ReLU convention, how many steps to unroll); reports and
``symgrad prove NAME`` use them.  Nothing here computes a result: the
engines do, so every claim in a report is derived, not written down.

>>> names()
['toy', 'softmax_ce', 'softmax_ce_hidden', 'relu', 'sigma_mlp', 'conv_filters', 'perceptron']
>>> toy().weights
(w1, w2, w3, w4, w5, w6, w7, w8, w9, w10)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from .constraints import Constant, Constraint, Distinct, PerLayer, Tied, Zero
from .data import generic, one_hot
from .errors import SymgradError
from .graph import Network
from .layers import mlp
from .spec import network_from_spec

A_NEGATIVE = sp.Symbol("a", negative=True)
A_POSITIVE = sp.Symbol("a", positive=True)


@dataclass(frozen=True)
class Scenario:
    """One question asked of an example: an initialisation, and optionally
    data (built from the network), ReLU slopes at 0 to compare, a different
    network, and a number of unrolled steps to show."""

    title: str
    init: Constraint
    data: Callable[[Network], tuple] | None = None
    conventions: tuple = ()
    network: Callable[[], Network] | None = None
    unroll: int = 0
    remark: str = ""


@dataclass(frozen=True)
class Example:
    """A built-in example: its network, the discussion it answers, its scenarios."""

    name: str
    summary: str
    build: Callable[[], Network]
    seed: str
    question: str
    scenarios: tuple[Scenario, ...]
    analyses: tuple = field(default=())

    @property
    def init(self) -> Constraint:
        """The default initialisation (the first scenario's)."""
        return self.scenarios[0].init


@dataclass(frozen=True)
class Quotient:
    """Show the quotient network of the first scenario (one unit per class)."""


@dataclass(frozen=True)
class Trace:
    """Show a numeric training trace of the first scenario (needs matplotlib)."""

    steps: int = 30


@dataclass(frozen=True)
class Linearise:
    """Linearise gradient descent at a tied ``point`` around swapping two units."""

    units: tuple
    point: dict
    lrs: tuple
    data: tuple


@dataclass(frozen=True)
class LearningRate:
    """The perceptron's learning-rate theorem (zero init) and a counterexample (nonzero init)."""

    steps: int = 3


REGISTRY: dict[str, Example] = {}


def _register(name: str, summary: str, seed: str, question: str, scenarios, analyses=()):
    def decorate(build: Callable[[], Network]) -> Callable[[], Network]:
        REGISTRY[name] = Example(name, summary, build, seed, question, tuple(scenarios), tuple(analyses))
        return build

    return decorate


@_register(
    "toy", "two inputs, two hidden layers of two linear units, the output as objective", "001_dd6659ad319648c8.txt",
    "Why must the weights not all start equal? If every weight of this toy network starts at the same value a, "
    "which weights are updated alike, and for how long?",
    [Scenario("Every weight equal to a", Constant("a"), unroll=2,
              remark="These are the seed's ties, and they hold ad infinitum."),
     Scenario("Every weight zero", Zero(), remark="A special case of a constant: every gradient vanishes.")],
    analyses=(Quotient(), Trace()),
)
def toy() -> Network:
    """The toy network of the seed, numbered source-major.

    ``y1 = w1*x1 + w3*x2``, ``y2 = w2*x1 + w4*x2``, ``y3 = w5*y1 + w7*y2``,
    ``y4 = w6*y1 + w8*y2``, ``y = w9*y3 + w10*y4``; the objective is ``y``.
    """
    return mlp([2, 2, 2, 1], name="toy", description="The toy network of the seed: identity activations, objective = output.")


def _class_one(net: Network) -> tuple[dict, ...]:
    return ({t: int(k == 0) for k, t in enumerate(net.targets)},)


def _equal_inputs(net: Network) -> tuple[dict, ...]:
    x1, x2 = net.inputs
    return ({x2: x1, **_class_one(net)[0]},)


def _every_class(net: Network) -> tuple[dict, ...]:
    return one_hot(net, range(1, len(net.targets) + 1))


@_register(
    "softmax_ce", "2 inputs, softmax over 3 classes, cross-entropy, no hidden layer", "000_80c0f5a630a5fbcc.txt",
    "With W = (a) everywhere, softmax and cross-entropy against a one-hot target: are all rows of dL/dW the same, "
    "and do the entries of W stay equal after an update? And what changes with a hidden layer?",
    [Scenario("One sample of class 1, every weight equal to a", Constant("a"), _class_one,
              remark="The gradient is x_i (y_j - t_j): the columns of the classes other than the target tie, and the rows differ unless the inputs agree."),
     Scenario("The same sample with x1 = x2", Constant("a"), _equal_inputs,
              remark="Only when the inputs agree do the rows of the gradient agree."),
     Scenario("A dataset with a sample of every class", Constant("a"), _every_class,
              remark="Without a hidden layer no tie survives a dataset that covers every class."),
     Scenario("With a hidden layer: a dataset with every class", Constant("a"), _every_class,
              network=lambda: softmax_ce_hidden(), remark="The hidden units stay tied forever, softmax or not.")],
)
def softmax_ce() -> Network:
    """Logits ``a_j = W_1j x1 + W_2j x2`` (weights ``w1..w6`` row by row:
    ``W = [[w1, w2, w3], [w4, w5, w6]]``), ``y = softmax(a)``, ``L = -sum t_j log y_j``;
    the default data: one sample whose target is class 1."""
    net = mlp([2, 3], objective="cross_entropy", name="softmax_ce",
              names={"outputs": "a", "probabilities": "y"},
              description="Multinomial logistic regression: two inputs, three classes, softmax and cross-entropy.")
    return net.with_data(_class_one(net))


@_register(
    "softmax_ce_hidden", "2 inputs, a hidden layer of 2 tanh units, softmax over 3 classes, cross-entropy",
    "000_80c0f5a630a5fbcc.txt",
    "The answer's point: with a hidden layer, constant initialisation makes the hidden units redundant "
    "even under softmax and cross-entropy, whatever the targets.",
    [Scenario("A dataset with a sample of every class", Constant("a"), _every_class),
     Scenario("One sample of class 1", Constant("a"), _class_one)],
)
def softmax_ce_hidden() -> Network:
    """``h = tanh(W x)``, ``a = V h``, softmax and cross-entropy."""
    return mlp([2, 2, 3], activation="tanh", objective="cross_entropy", name="softmax_ce_hidden",
               names={"hidden": "h", "outputs": "a", "probabilities": "y"},
               description="Two inputs, two tanh hidden units, three classes, softmax and cross-entropy.")


CONVENTIONS = (sp.S.Zero, sp.S.Half, sp.S.One)


@_register(
    "relu", "the toy network with ReLU units and positive inputs; ReLU's slope at 0 made explicit",
    "001_dd6659ad319648c8.txt",
    "With ReLU units, does a weight that starts at 0 (or below) stay there? With all weights 0 every "
    "pre-activation is exactly 0, so the answer hangs on the slope chosen at 0: PyTorch's relu uses 0, "
    "torch.maximum 1/2, clamp_min 1, and SymPy's Heaviside(0) is 1/2.",
    [Scenario("Every weight zero", Zero(), conventions=CONVENTIONS),
     Scenario("First layer zero, the other layers equal to a", PerLayer(["0", "a", "a"]), conventions=CONVENTIONS),
     Scenario("Every weight equal to a negative constant a", Constant(A_NEGATIVE), conventions=CONVENTIONS,
              remark="Positive inputs and negative weights: every unit is dead."),
     Scenario("Every weight equal to a positive constant a", Constant(A_POSITIVE),
              remark="The units stay tied exactly as in the linear toy network.")],
)
def relu() -> Network:
    """The toy's numbering with ReLU on every unit (output included) and
    positive inputs; ReLU's slope at 0 is 0 (PyTorch's relu)."""
    return mlp([2, 2, 2, 1], activation="relu", output_activation="relu", name="relu",
               input_assumptions={"positive": True},
               description="The toy network with ReLU units (slope 0 at 0 unless a scenario says otherwise); inputs are positive.")


@_register(
    "sigma_mlp", "two hidden layers, biases and an undefined activation sigma (results for any activation)",
    "002_379ac93971cf0f9b.txt",
    "How can units of one layer become different if they share one equation? The backpropagation "
    "equations a = sigma(z), z = sum w a + b, delta = sigma'(z) (sum w delta) for any activation sigma.",
    [Scenario("Every weight equal to a, zero biases", Constant("a"),
              remark="Units within a layer stay tied forever; different layers receive different updates."),
     Scenario("Every weight distinct, zero biases", Distinct(),
              remark="Bias initialisation does not matter once the weights differ."),
     Scenario("Every weight equal to a, distinct biases", Constant("a", biases=Distinct()),
              remark="Distinct biases alone break the symmetry.")],
)
def sigma_mlp() -> Network:
    """``a^l_j = sigma(sum_k w^l_jk a^(l-1)_k + b^l_j)`` with sigma undefined, squared error."""
    return mlp([2, 2, 2, 1], activation="sigma", output_activation="sigma", bias=True, objective="squared_error",
               name="sigma_mlp", description="Two hidden layers of two units, biases, an undefined activation sigma everywhere.")


_FILTERS_1_2 = [["w1", "w2"], ["w4", "w5"], ["w7", "w11"], ["w8", "w12"], ["w9", "w13"], ["w10", "w14"]]


@_register(
    "conv_filters", "a 1-D convolution with 3 tanh filters shared across positions, then a dense readout",
    "003_c7a77dae3a198c20.txt",
    "If two filters are identical, are they updated identically forever, so the layer works as if it had fewer "
    "filters? And if they are nearly identical, does gradient descent pull them apart or together?",
    [Scenario("Every weight equal to a", Constant("a"),
              remark="Every filter is the same filter: the layer works as if it had one."),
     Scenario("Filters 1 and 2 identical, filter 3 different", Tied(_FILTERS_1_2),
              remark="Identical filters (with identical readout weights) get identical gradients forever.")],
    analyses=(Linearise(units=("h1_1", "h2_1"), lrs=("1/10", "1"), data=(
        {"x1": 1, "x2": 0, "x3": -1, "x4": 2, "x5": 1, "t": 1},
        {"x1": 0, "x2": 1, "x3": 1, "x4": -1, "x5": 0, "t": -1}), point={
        "w1": "1/2", "w2": "1/2", "w3": -1, "w4": "-3/4", "w5": "-3/4", "w6": "1/4",
        "w7": 1, "w11": 1, "w8": "-1/2", "w12": "-1/2", "w9": "1/4", "w13": "1/4", "w10": -1, "w14": -1,
        "w15": "1/2", "w16": 0, "w17": "-1/4", "w18": "3/4"}),),
)
def conv_filters() -> Network:
    """Inputs ``x1..x5``; filters ``f = 1, 2, 3`` of two taps (``w_f`` on the
    first tap, ``w_(f+3)`` on the second), ``h_(f,p) = tanh(w_f x_p + w_(f+3) x_(p+1))``;
    readout ``y = sum w_k h`` (``w7..w18``); squared error."""
    return network_from_spec({
        "name": "conv_filters", "inputs": 5, "objective": "squared_error",
        "description": "A 1-D convolution: three filters of two taps slid over five inputs, tanh, then a dense readout.",
        "layers": [{"conv": 3, "size": 2, "activation": "tanh"}, {"dense": 1}],
    })


@_register(
    "perceptron", "a perceptron on two inputs, trained one sample at a time by the perceptron rule",
    "004_b8e1956803567286.txt",
    "Why, with zero initial weights, does the learning rate eta only scale the weight vector and never change a "
    "prediction, while with nonzero initial weights it can?",
    [Scenario("Zero initial weights, three samples", Zero(), lambda net: generic(net, 3))],
    analyses=(LearningRate(steps=3),),
)
def perceptron() -> Network:
    """``z = w1 x1 + w2 x2``, prediction ``yhat = phi(z)`` (1 if z >= 0 else -1),
    criterion ``L = (yhat - y) z`` with ``yhat`` held fixed: gradient descent on
    ``L`` is the perceptron rule ``w <- w + eta (y - yhat) x``."""
    return mlp([2, 1], objective="perceptron", name="perceptron",
               names={"outputs": ["z"], "targets": "y", "decision": "yhat"},
               description="A single perceptron: z = w.x, prediction phi(z), the perceptron criterion.")


def names() -> list[str]:
    """The names of the built-in examples."""
    return list(REGISTRY)


def example(name: str) -> Example:
    """The built-in example called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise SymgradError(f"unknown example {name!r}: choose one of {', '.join(REGISTRY)}") from None


def get(name: str) -> Network:
    """The network of the built-in example called ``name``."""
    return example(name).build()
