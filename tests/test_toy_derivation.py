"""The toy network of seed 001: forward equations and all ten gradients,
checked against the seed's hand-written expressions."""
import json
import subprocess
import sys

import pytest
import sympy as sp

import symgrad as sg

w1, w2, w3, w4, w5, w6, w7, w8, w9, w10 = sp.symbols("w1:11")
x1, x2 = sp.symbols("x1 x2")
y1, y2, y3, y4 = sp.symbols("y1:5")

# The seed's answer, written out by hand.
SEED_FORWARD = {
    "y1": w1 * x1 + w3 * x2,
    "y2": w2 * x1 + w4 * x2,
    "y3": w5 * y1 + w7 * y2,
    "y4": w6 * y1 + w8 * y2,
    "y": w9 * y3 + w10 * y4,
}
SEED_GRADIENTS = {
    "w1": (w9 * w5 + w10 * w6) * x1,
    "w2": (w9 * w7 + w10 * w8) * x1,
    "w3": (w9 * w5 + w10 * w6) * x2,
    "w4": (w9 * w7 + w10 * w8) * x2,
    "w5": w9 * (w1 * x1 + w3 * x2),
    "w6": w10 * (w1 * x1 + w3 * x2),
    "w7": w9 * (w2 * x1 + w4 * x2),
    "w8": w10 * (w2 * x1 + w4 * x2),
    "w9": w5 * (w1 * x1 + w3 * x2) + w7 * (w2 * x1 + w4 * x2),
    "w10": w6 * (w1 * x1 + w3 * x2) + w8 * (w2 * x1 + w4 * x2),
}


@pytest.fixture(scope="module")
def toy_json():
    out = subprocess.run([sys.executable, "-m", "symgrad", "derive", "toy", "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_toy_names_and_numbering():
    net = sg.examples.toy()
    assert net.weights == (w1, w2, w3, w4, w5, w6, w7, w8, w9, w10)
    assert net.inputs == (x1, x2)


def test_forward_equations_are_the_seeds(toy_json):
    assert list(toy_json["forward"]) == ["y1", "y2", "y3", "y4", "y"]
    for name, expected in SEED_FORWARD.items():
        assert sp.simplify(sp.sympify(toy_json["forward"][name]) - expected) == 0


def test_all_ten_gradients_are_the_seeds(toy_json):
    assert sorted(toy_json["gradients"], key=lambda w: int(w[1:])) == [f"w{i}" for i in range(1, 11)]
    for name, expected in SEED_GRADIENTS.items():
        assert sp.simplify(sp.sympify(toy_json["gradients"][name]) - expected) == 0, name


def test_gradients_agree_with_sympy_diff_of_the_nested_output():
    y = w9 * SEED_FORWARD["y3"] + w10 * SEED_FORWARD["y4"]
    y = y.subs({y1: SEED_FORWARD["y1"], y2: SEED_FORWARD["y2"]})
    d = sg.derive(sg.examples.toy())
    for w in d.network.weights:
        assert sp.expand(d.gradient(w) - sp.diff(y, w)) == 0


def test_step_chain_of_w9_is_the_seeds():
    steps = sg.derive(sg.examples.toy()).steps("w9")
    assert steps[-3:] == [y3, w5 * y1 + w7 * y2, w5 * (w1 * x1 + w3 * x2) + w7 * (w2 * x1 + w4 * x2)]


def test_every_step_is_equal_to_the_gradient():
    d = sg.derive(sg.examples.toy())
    net = d.network
    delta_values = {net.delta_symbol(j): None for j in net.neurons}
    for w in net.weights:
        final = d.steps(w)[-1]
        assert final.free_symbols <= set(net.weights) | set(net.inputs)
        assert sp.expand(final - d.gradient(w)) == 0
    assert delta_values  # the deltas have symbols of their own


def test_path_form_of_the_first_layer():
    d = sg.derive(sg.examples.toy())
    assert d.path("w1") == (w9 * w5 + w10 * w6) * x1
    assert d.path("w4") == (w9 * w7 + w10 * w8) * x2


def test_human_output_shows_the_step_chain_for_each_weight():
    out = subprocess.run([sys.executable, "-m", "symgrad", "derive", "toy"], capture_output=True, text=True, check=True).stdout
    for i in range(1, 11):
        assert f"dy/dw{i} = " in out
    assert "= w5*(w1*x1 + w3*x2) + w7*(w2*x1 + w4*x2)" in out
    assert "= w5*y1 + w7*y2" in out


def test_printing_and_latex():
    net = sg.examples.toy()
    d = sg.derive(net)
    assert "10 weights" in str(net)
    assert r"\frac{\partial y}{\partial w_{9}}" in d._repr_latex_()
    assert "w_{1} x_{1}" in net._repr_latex_()
