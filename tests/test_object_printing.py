"""Every public object prints in a terminal (str), as a one-line summary (repr)
and in LaTeX (``_repr_latex_`` for Jupyter and ``sympy.latex``), through
the printers of ``symgrad.present``: never as ``<... object at 0x...>``."""
import pytest
import sympy as sp

import symgrad as sg


def _objects():
    net = sg.examples.toy()
    proof = sg.prove(net, sg.Constant("a"))
    small = sg.Network.mlp([1, 2, 1], activation="tanh", objective="squared_error")
    swap = sg.unit_swap(small, "y1", "y2")
    perceptron = sg.examples.get("perceptron")
    linearisation = sg.linearise(small, {"w1": 1, "w2": 1, "w3": 1, "w4": 1}, swap, lr="1/10",
                                 data=[{"x1": 1, "t": 0}])
    return {
        "Network": net, "Derivation": sg.derive(net), "Proof": proof,
        "Trajectory": sg.unroll(net, sg.Constant("a"), steps=1),
        "Constant": sg.Constant("a"), "Zero": sg.Zero(), "Distinct": sg.Distinct(),
        "Tied": sg.Tied([["w1", "w2"]]), "PerLayer": sg.PerLayer(["a", "b", "c"]),
        "Trace": sg.train(net, sg.Constant("1/2"), steps=2),
        "Swap": swap, "Linearisation": linearisation,
        "Quotient": sg.quotient(proof), "LayerWidth": sg.effective_width(proof)[0],
        "Description": sg.load(sg.examples.example_dir() / "toy.toml"),
        "LearningRateTheorem": sg.learning_rate_theorem(perceptron),
        "Counterexample": sg.learning_rate_counterexample(sg.Network.mlp([2, 2, 1], activation="sigmoid",
                                                                          objective="perceptron")),
        "NetworkBuilder": sg.NetworkBuilder("b"), "Node": net.nodes[0], "Layer": net.layers[0],
        "GradientDescent": sg.GradientDescent(), "Momentum": sg.Momentum(), "Adam": sg.Adam(beta1=0.9),
        "Given": sg.Given((("w1", 0.5),)), "Imported": _imported(),
    }


def _imported():
    """A torch model as a scalar network (None without torch)."""
    try:
        import torch
    except ImportError:
        return None
    return sg.from_torch(torch.nn.Linear(2, 1), torch.ones(1, 2))


OBJECTS = _objects()


@pytest.mark.parametrize("kind", sorted(OBJECTS))
def test_every_public_object_prints_three_ways(kind):
    obj = OBJECTS[kind]
    if obj is None:
        pytest.skip(f"no {kind} for this network")
    text, short, tex = str(obj), repr(obj), obj._repr_latex_()
    assert text and " object at 0x" not in text and "(" + "network=" not in text, text
    assert short.startswith("<") and short.endswith(">") and "\n" not in short and " object at 0x" not in short, short
    assert tex.startswith("$") and tex.endswith("$") and len(tex) > 2, tex
    assert sp.latex(obj) == tex[1:-1]   # inside SymPy's own printing too


def test_printed_forms_say_what_the_object_is():
    assert str(OBJECTS["Swap"]) == "w1 <-> w2, w3 <-> w4"
    assert repr(OBJECTS["Swap"]) == "<Swap w1 <-> w2, w3 <-> w4>"
    assert OBJECTS["Swap"]._repr_latex_() == r"$w_{1} \leftrightarrow w_{2},\quad w_{3} \leftrightarrow w_{4}$"
    assert str(OBJECTS["Node"]) == "input x1 (layer 0)"
    assert str(OBJECTS["Layer"]) == "layer 'inputs' (input): 2 units"
    assert str(OBJECTS["NetworkBuilder"]) == "NetworkBuilder 'b': 0 nodes, 0 weights, 0 biases so far"
    assert "grows in some direction" in str(OBJECTS["Linearisation"])
    assert str(OBJECTS["GradientDescent"]) == "GradientDescent"
    assert repr(OBJECTS["Momentum"]) == "<Momentum (beta = beta)>"
    assert str(OBJECTS["Adam"]) == "Adam (beta1 = 0.9, beta2 = beta2, eps = epsilon)"
    assert str(OBJECTS["LearningRateTheorem"]).startswith("Learning rate from zero init on 'perceptron': eta only")


def test_an_unrolled_trajectory_prints():
    """The case that once raised ImportError (its printer did not exist)."""
    trajectory = OBJECTS["Trajectory"]
    assert str(trajectory).splitlines()[0] == ("toy: 1 step of GradientDescent from every weight equal to a, "
                                               "learning rate eta")
    assert "w1 = w2 = a - 2*a**2*eta*x1" in str(trajectory)
    assert repr(trajectory) == "<Trajectory of 'toy': 1 step>"
    assert trajectory._repr_latex_().startswith(r"$\text{after step 1:}")
