"""The Python API at its boundary: what a user would pass is accepted (an
example's name, a description file's path, a Network), the rest is refused at
once with a TypeError saying what is accepted, and a wrong weight name in an
assertion is one clear error, not an internal traceback."""
import pytest

import symgrad as sg
from symgrad.base.errors import SymgradError
from symgrad.testing import assert_gradients_equal, assert_tied_forever


@pytest.mark.parametrize("function", [sg.prove, sg.derive])
@pytest.mark.parametrize("bad", [None, 3, 2.5, ["toy"]])
def test_anything_but_a_network_is_refused_at_once(function, bad):
    with pytest.raises(TypeError, match="takes a Network, a built-in example's name"):
        function(bad)


def test_a_torch_module_is_pointed_to_lint():
    torch = pytest.importorskip("torch")
    for function in (sg.prove, sg.derive):
        with pytest.raises(TypeError, match=r"sg\.lint\(model, example_inputs\)"):
            function(torch.nn.Linear(2, 1))


def test_a_name_or_a_file_is_accepted(tmp_path):
    (tmp_path / "net.toml").write_text("inputs = 2\n[[layers]]\nunits = 1\n")
    assert sg.prove("toy").invariant == sg.prove(sg.examples.toy()).invariant
    assert sg.derive(str(tmp_path / "net.toml")).gradient("w1") == sg.derive(tmp_path / "net.toml").gradient("w1")


def test_a_wrong_weight_name_in_an_assertion_is_one_clear_error():
    for check in (lambda: assert_gradients_equal(sg.examples.toy(), "w1", "w99"),
                  lambda: assert_tied_forever(sg.examples.toy(), [["w1", "w99"]])):
        with pytest.raises(SymgradError) as error:
            check()
        assert str(error.value) == "network 'toy' has no weight or bias 'w99'"
