"""Every public object prints: readable str, a one-line repr (never a dump of its fields), LaTeX for
Jupyter and through sympy.latex."""
import pytest
import sympy as sp

import symgrad as sg

NET = sg.examples.toy()
PROOF = sg.prove(NET, sg.Constant("a"))
OBJECTS = {
    "Network": (NET, "Network 'toy': 2 inputs, 5 neurons, 10 weights, objective y"),
    "Derivation": (sg.derive(NET), "Forward"),
    "Proof": (PROOF, "Tied forever"),
    "Trajectory": (sg.unroll(NET, sg.Constant("a"), steps=1), "w9 = w10 = a - 2*a**2*eta*x1 - 2*a**2*eta*x2"),
    "Constant": (sg.Constant("a"), "every weight equal to a"),
    "Zero": (sg.Zero(), "every weight 0"),
    "Tied": (sg.Tied({("w1", "w2"): 0}), "tied w1 = w2 = 0"),
    "Distinct": (sg.Distinct(), "every weight distinct"),
    "PerLayer": (sg.PerLayer(("a", 0, "b")), "weights constant per layer: a, 0, b"),
    "Quotient": (sg.quotient(PROOF), "10 weights become 4"),
    "LayerWidth": (sg.effective_width(PROOF)[0], "layer 1: 1 distinct of 2 units (y1 = y2)"),
    "Description": (sg.load("examples/toy.toml"), "Network 'toy'"),
    "Trace": (sg.train(NET, sg.Constant("a"), steps=2), "2 steps of float64 training"),
}


@pytest.mark.parametrize("name", OBJECTS)
def test_str_repr_and_latex(name):
    obj, shown = OBJECTS[name]
    assert shown in str(obj)
    short = repr(obj)
    assert short.startswith("<") and short.endswith(">") and "\n" not in short and "=None" not in short
    latex = obj._repr_latex_()
    assert latex.startswith("$") and latex.endswith("$") and len(latex) > 4
    assert sp.latex(obj) == latex[1:-1]          # the _latex hook


def test_the_unrolled_trajectory_prints_every_step():   # str() raised ImportError once
    text = str(sg.unroll(NET, sg.Constant("a"), steps=2))
    assert "After step 1:" in text and "After step 2:" in text


def test_big_objects_print_a_summary_quickly():
    net = sg.Network.mlp([300, 300, 1])
    latex = net._repr_latex_()
    assert len(latex) < 300 and "90,300 weights" in latex
    proof = sg.prove(sg.Network.mlp([100, 100, 1]), engine="structural")
    assert len(str(proof)) < 3000 and "--full" in str(proof)
