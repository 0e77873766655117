"""symgrad's exact gradients against PyTorch autograd, in float64, on every
built-in example and on random dense and convolutional networks.

The torch network is built from the graph with torch's own functions
(``symgrad.interop.torch``); symgrad's side is the explicit gradient
expression evaluated exactly at the point.  The undefined activation sigma
is SiLU on both sides."""
import random

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from reference import mp, objective as reference_objective
from symgrad.model.activations import SIGMOID
from symgrad.interop.points import Comparison, exact_gradients, numeric, random_point, sample_values
from symgrad.specs.description import describe

pytest.importorskip("torch", reason="needs torch (pip install 'symgrad[torch]')")
from symgrad.interop import torch as torch_interop  # noqa: E402

TOLERANCE = 1e-9
ACTIVATIONS = ["identity", "relu", "sigmoid", "tanh"]
OBJECTIVES = ["output", "squared_error", "cross_entropy", "perceptron"]
seen = {"error": 0.0, "checks": 0, "random": 0, "kinds": set()}


def check(net, seed):
    comparison = torch_interop.cross_check(net, seed=seed)
    assert len(comparison.exact) == net.parameter_count
    assert comparison.max_error <= TOLERANCE, comparison.worst()
    seen["error"] = max(seen["error"], comparison.max_error)
    seen["checks"] += 1
    return comparison


def scenario_networks(name):
    """The example's network, and each of its scenarios' networks with their data."""
    example = sg.examples.example(name)
    found = [example.build()]
    for scenario in example.scenarios:
        net = scenario.network() if scenario.network else example.build()
        found.append(net.with_data(scenario.data(net)) if scenario.data else net)
    return found


@pytest.mark.parametrize("name", sg.examples.names())
def test_every_example_agrees_with_torch(name):
    for k, net in enumerate(scenario_networks(name)):
        for seed in range(2):
            check(net, seed=100 * k + seed)


@st.composite
def specs(draw):
    objective = draw(st.sampled_from(OBJECTIVES))
    width = draw(st.integers(1, 4))
    spec = {"inputs": width, "objective": objective, "layers": []}
    for _ in range(draw(st.integers(0, 2))):   # width: positions per channel
        layer = {"activation": draw(st.sampled_from(ACTIVATIONS)), "bias": draw(st.booleans())}
        if width >= 2 and draw(st.booleans()):
            size = draw(st.integers(1, min(3, width)))
            layer.update(type="conv1d", filters=draw(st.integers(1, 2)), size=size)
            width = width - size + 1
        else:
            layer["units"] = width = draw(st.integers(1, 3))
        spec["layers"].append(layer)
    outputs = {"perceptron": st.just(1), "cross_entropy": st.integers(2, 3)}.get(objective, st.integers(1, 2))
    spec["layers"].append({"units": draw(outputs), "activation": draw(st.sampled_from(ACTIVATIONS)),
                           "bias": draw(st.booleans())})
    return spec


@settings(max_examples=200, derandomize=True)  # the same 200 networks every run: CI is reproducible
@given(spec=specs(), samples=st.integers(1, 2), seed=st.integers(0, 2**32))
def test_random_networks_agree_with_torch(spec, samples, seed):
    net = describe(spec).network
    if samples > 1:
        net = net.with_data(sg.data.generic(net, samples))
    check(net, seed)
    seen["random"] += 1
    seen["kinds"] |= {spec["objective"], *(layer["activation"] for layer in spec["layers"])}
    seen["kinds"] |= {"conv" if layer.get("type") == "conv1d" else "dense" for layer in spec["layers"]}
    seen["kinds"] |= {"bias" for layer in spec["layers"] if layer["bias"]}


def test_at_least_200_random_networks_of_every_kind_were_compared(capsys):
    """Runs after the tests above: counts them, checks that every objective,
    activation and layer kind was drawn, and reports the worst error."""
    if not seen["random"]:
        pytest.skip("the random-network test did not run")
    with capsys.disabled():
        print(f"\n  torch cross-check: {seen['checks']} networks ({seen['random']} random), "
              f"max relative error {seen['error']:.3g}")
    assert seen["random"] >= 200
    assert seen["kinds"] == {*OBJECTIVES, *ACTIVATIONS, "conv", "dense", "bias"}


# -- the check itself is not vacuous ------------------------------------------
def test_a_wrong_derivation_is_caught():
    """Gradients of a sigmoid network compared with autograd on the tanh one."""
    net = sg.Network.mlp([2, 2, 1], activation="tanh", objective="squared_error")
    point = random_point(net, random.Random(3))
    other, _ = torch_interop.gradients(net, [point[w] for w in net.parameters], sample_values(net, point))
    wrong = Comparison(net, point, tuple(exact_gradients(net.with_activation("tanh", SIGMOID), point)), tuple(other))
    right = Comparison(net, point, tuple(exact_gradients(net, point)), tuple(other))
    assert right.max_error <= TOLERANCE < 1e-3 < wrong.max_error


@pytest.mark.parametrize("spec", [
    {"inputs": 3, "layers": [{"units": 2, "activation": "tanh", "bias": True}, {"units": 3}], "objective": "cross_entropy"},
    {"inputs": 4, "layers": [{"type": "conv1d", "filters": 2, "size": 2, "activation": "sigmoid"}, {"units": 2}],
     "objective": "squared_error"},
    {"inputs": 2, "layers": [{"units": 3, "activation": "relu", "bias": True}, {"units": 2}], "objective": "output"},
])
def test_the_torch_network_computes_the_same_objective_as_an_independent_reference(spec):
    import torch

    net = describe(spec).network
    point = random_point(net, random.Random(7))
    (sample,) = sample_values(net, point)
    params = [point[w] for w in net.parameters]
    theta = torch.tensor([float(p) for p in params], dtype=torch.float64)
    mine = torch_interop.objective(net, theta, sample).item()
    inputs = {x: mp.mpf(int(sample[x].p)) / int(sample[x].q) for x in net.inputs}
    targets = {t: mp.mpf(int(sample[t].p)) / int(sample[t].q) for t in net.targets}
    reference = reference_objective(net, [mp.mpf(int(p.p)) / int(p.q) for p in params], inputs, targets)
    assert abs(mine - float(reference)) <= 1e-12 * (1 + abs(float(reference)))


def test_the_perceptron_criterion_holds_the_decision_fixed():
    """L = (phi(z) - t) z with phi held fixed: dL/dw = (phi(z) - t) x, by hand."""
    net = sg.examples.get("perceptron")
    comparison = check(net, seed=5)
    x1, x2, t = (comparison.point[sp.Symbol(s)] for s in ("x1", "x2", "y"))
    z = comparison.point[sp.Symbol("w1")] * x1 + comparison.point[sp.Symbol("w2")] * x2
    phi = 1 if z >= 0 else -1
    assert comparison.other == pytest.approx([float((phi - t) * x1), float((phi - t) * x2)], rel=1e-15)


def test_numeric_evaluation_agrees_with_sympy_n():
    net = sg.examples.get("softmax_ce_hidden")
    point = random_point(net, random.Random(2))
    for g in list(sg.derive(net).gradients().values())[:4]:
        value = g.xreplace(point)
        assert abs(numeric(value, {}) - mp.mpf(str(sp.N(value, 40)))) < mp.mpf(10) ** -30
