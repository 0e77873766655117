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


def test_gradients_at_the_initial_point_show_their_factored_form_too():
    """``a*(a*x1 + a*x2)`` reads better as ``a**2*(x1 + x2)``: both are shown,
    and they are equal (checked by expanding both in plain SymPy)."""
    import sympy as sp

    import symgrad as sg

    text = str(sg.prove(sg.examples.toy(), sg.Constant("a")))
    line = next(l for l in text.splitlines() if l.startswith("  {w5, w6, w7, w8}"))
    raw, tidy = (sp.sympify(side) for side in line.split(" = ")[1:])
    assert str(tidy) == "a**2*(x1 + x2)" and sp.expand(raw - tidy) == 0


def test_a_class_of_one_is_not_called_equal_gradients():
    import symgrad as sg

    lines = str(sg.prove(sg.Network.mlp([2, 2, 1]), sg.Distinct())).splitlines()
    assert "At the initial point, no two gradients are equal:" in lines
    assert "  w1: dy/dw1 = w5*x1" in lines and not any(l.startswith("  {w1}") for l in lines)
    mixed = str(sg.prove(sg.examples.toy(), sg.Tied([["w1", "w2", "w3", "w4"]])))
    assert "equal gradients (in braces) and gradients of their own" in mixed


def test_the_report_says_when_no_two_gradients_are_equal():
    import symgrad as sg
    from symgrad.report import render
    from symgrad.report.content import network_context

    tex = render(network_context(sg.Network.mlp([2, 2, 1]), sg.Distinct(), None))
    assert "no two parameters have identical gradients" in tex and "classes of identical gradients" not in tex


def test_a_large_proof_is_summarised_by_class_sizes_without_ambiguity():
    """An MLP 50-50-1 with every weight equal: by symmetry each input's 50
    outgoing weights form a class, and the 50 output weights another: 51
    classes of 50 (worked out by hand, not by symgrad)."""
    import symgrad as sg
    from symgrad.present.printing import proof_summary

    proof = sg.prove(sg.Network.mlp([50, 50, 1]), sg.Constant("a"), engine="structural")
    text = proof_summary(proof)
    assert "Tied forever (for every step, every learning rate and every input): 51 classes: 51 with 50 " \
           "parameters each" in text
