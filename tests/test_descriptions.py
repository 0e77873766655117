"""Network description files: the format, and a corpus of bad files each
answered by the expected one-line message (``tests/bad_networks``)."""
import json
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad import cli
from symgrad.specs.description import describe, load
from symgrad.base.names import _taken, check_name

BAD = sorted((Path(__file__).parent / "bad_networks").glob("*.toml"))
EXAMPLES = Path(__file__).parent.parent / "examples"


def run(capsys, *args):
    """The command line in this process: (exit status, stdout, stderr lines)."""
    status = cli.main(list(map(str, args)))
    out = capsys.readouterr()
    return status, out.out, out.err.splitlines()


def expected_message(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: MESSAGE'"
    return first.removeprefix("# expect: ")


def test_the_corpus_has_at_least_50_bad_files():
    assert len(BAD) >= 50


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_every_bad_file_gets_its_message_and_exit_2(path, capsys):
    for command in (["derive", path], ["prove", path, "--json"], ["report", path, "-o", "unused.tex"]):
        status, out, lines = run(capsys, *command)
        assert status == 2 and out == ""
        assert lines and all(line.startswith(f"symgrad: error: {path}") for line in lines), lines
        assert any(expected_message(path) in line for line in lines), (expected_message(path), lines)
    assert not Path("unused.tex").exists()


def test_the_toml_example_gives_the_same_answer_as_the_built_in_one(capsys):
    from_file = run(capsys, "prove", EXAMPLES / "toy.toml", "--init", "constant", "--json")
    built_in = run(capsys, "prove", "toy", "--json")
    assert from_file[0] == built_in[0] == 0
    assert json.loads(from_file[1]) == json.loads(built_in[1])
    assert json.loads(from_file[1])["invariant"] == [["w1", "w2"], ["w3", "w4"], ["w5", "w6", "w7", "w8"], ["w9", "w10"]]


@pytest.mark.parametrize("name", sg.examples.names())
def test_every_built_in_example_is_its_file(name):
    assert sg.examples.example(name).path == sg.examples.example_dir() / f"{name}.toml"
    assert load(EXAMPLES / f"{name}.toml").network.name == name


def test_the_toy_file_builds_the_seed_network():
    net = load(EXAMPLES / "toy.toml").network
    x1, x2, *w = sp.symbols("x1 x2 w1:11")
    y1, y2 = w[0] * x1 + w[2] * x2, w[1] * x1 + w[3] * x2
    y = w[8] * (w[4] * y1 + w[6] * y2) + w[9] * (w[5] * y1 + w[7] * y2)
    d = sg.derive(net)
    assert all(sp.expand(d.gradient(f"w{k}") - sp.diff(y, w[k - 1])) == 0 for k in range(1, 11))


def test_the_readme_example_file_parses_and_proves():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    import tomllib

    found = describe(tomllib.loads(block), "README")
    proof = sg.prove(found.network, found.init)
    assert proof.invariant   # a complete, valid description


def test_skip_connections_and_sharing_compute_the_hand_written_gradient():
    doc = {"inputs": ["u", "v"], "layers": [
        {"name": "h", "units": 1, "activation": "tanh", "names": ["h"]},
        {"units": 1, "from": ["inputs", "h"], "names": "y"}],
        "parameters": {"shared": [["w1", "w3"]]}}   # the weight of u into h and of u into y
    net = describe(doc).network
    u, v, w1, w2, w4, w5 = sp.symbols("u v w1 w2 w4 w5")
    assert net.weights == (w1, w2, w4, w5)
    h = sp.tanh(w1 * u + w2 * v)
    y = w1 * u + w4 * v + w5 * h
    d = sg.derive(net)
    for w in net.weights:
        assert sp.simplify(d.gradient(w) - sp.diff(y, w)) == 0


def test_a_conv_over_two_channels_has_one_weight_per_channel_and_tap():
    doc = {"inputs": 4, "layers": [{"type": "conv1d", "filters": 2, "size": 2},
                                   {"type": "conv1d", "filters": 1, "size": 2}, {"units": 1}]}
    net = describe(doc).network
    assert net.weight_count == 4 + 4 + 2
    x = sp.symbols("x1:5")
    w = sp.symbols("w1:11")
    h = [[w[0 + f] * x[p] + w[2 + f] * x[p + 1] for p in range(3)] for f in range(2)]   # taps then filters
    g = [sum(w[4 + 2 * c + i] * h[c][p + i] for c in range(2) for i in range(2)) for p in range(2)]
    y = w[8] * g[0] + w[9] * g[1]
    d = sg.derive(net)
    assert all(sp.expand(d.gradient(w[k]) - sp.diff(y, w[k])) == 0 for k in range(10))


def test_data_init_and_symbols_reach_the_proof():
    doc = {"inputs": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1}],
           "init": {"kind": "constant", "value": "a"}, "symbols": {"a": "negative"},
           "data": [{"x1": 1, "x2": "1/2"}]}
    found = describe(doc)
    assert found.init.value == sp.Symbol("a", negative=True)
    assert found.network.samples == ({sp.Symbol("x1"): 1, sp.Symbol("x2"): sp.Rational(1, 2)},)
    assert sg.prove(found.network, found.init).stationary is True   # positive inputs, negative weights: dead


def test_json_descriptions_refuse_duplicate_keys_as_toml_does(tmp_path, capsys):
    doc = tmp_path / "net.json"
    doc.write_text('{"inputs": 2, "inputs": 3, "layers": [{"units": 1}]}')
    status, _, lines = run(capsys, "derive", doc)
    assert status == 2 and lines == [f'symgrad: error: {doc}: invalid JSON: the key "inputs" appears twice in one object']


def test_a_scenario_on_another_network_is_proved_on_that_network_by_every_command(tmp_path, capsys):
    (tmp_path / "other.toml").write_text("inputs = 3\n[[layers]]\nunits = 3\n[[layers]]\nunits = 1\n")
    main = tmp_path / "main.toml"
    main.write_text('inputs = 2\n[[layers]]\nunits = 2\n[[layers]]\nunits = 1\n[[scenarios]]\nnetwork = "other.toml"\n'
                    'init = { kind = "tied", groups = [["w1", "w2"], ["w4", "w5"], ["w7", "w8"], ["w10", "w11"]] }\n'
                    '[[scenarios.data]]\nx3 = 1\n')
    status, out, _ = run(capsys, "prove", main, "--json")
    assert status == 0
    proof = json.loads(out)
    assert proof["samples"] == 1 and sum(map(len, proof["invariant"])) == 12   # other.toml: 9 + 3 weights
    assert [c for c in proof["invariant"] if len(c) > 1] == [["w1", "w2"], ["w4", "w5"], ["w7", "w8"], ["w10", "w11"]]
    assert run(capsys, "report", main, "-o", tmp_path / "r.tex")[0] == 0


def test_the_init_option_keeps_the_scenario_data_and_the_file_symbols(capsys):
    first = json.loads(run(capsys, "prove", EXAMPLES / "perceptron.toml", "--json")[1])
    again = json.loads(run(capsys, "prove", EXAMPLES / "perceptron.toml", "--init", "zero", "--json")[1])
    assert first["samples"] == again["samples"] == 3
    dead = json.loads(run(capsys, "prove", EXAMPLES / "relu.toml", "--json")[1])
    assert dead["stationary"] is True                                # zero init: nothing moves


def test_conv_size_counts_channels_and_positions():
    doc = {"inputs": 1000, "layers": [{"type": "conv1d", "filters": 150, "size": 1},
                                      {"type": "conv1d", "filters": 1, "size": 1000}]}
    net = describe(doc).network
    assert len(net.neurons) == 150 * 1000 + 1 and net.edge_count == 150 * 1000 + 150 * 1000
    assert net.weight_count == 150 + 150 * 1000


def test_user_layer_names_reach_the_network():
    doc = {"inputs": 2, "layers": [{"name": "hidden", "units": 2}, {"units": 1}]}
    assert [layer.name for layer in describe(doc).network.layers][:3] == ["inputs", "hidden", "layer 2"]


def test_every_problem_of_a_file_is_listed(tmp_path, capsys):
    bad = tmp_path / "many.toml"
    bad.write_text('inputs = 0\nobjective = "hinge"\n[[layers]]\nunits = -1\nactivation = "nope"\n')
    status, _, lines = run(capsys, "prove", bad)
    assert status == 2
    assert lines == [
        f"symgrad: error: {bad}: inputs: expected a positive integer or an array of names, got 0",
        (f"symgrad: error: {bad}: layers[0].activation: unknown activation 'nope': choose one of identity, linear, "
         "relu, sigma, sigmoid, step, tanh (relu:VALUE sets relu'(0))"),
        f"symgrad: error: {bad}: layers[0].units: expected a positive integer, got -1",
        (f"symgrad: error: {bad}: objective: expected one of output, squared_error, cross_entropy, perceptron, "
         'got "hinge"'),
    ]


@settings(max_examples=500)
@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,5}", fullmatch=True) | st.sampled_from(sorted(_taken())[:300]))
def test_an_accepted_name_reads_back_through_sympify_as_that_symbol(candidate):
    try:
        check_name(candidate)
    except sg.SymgradError:
        return
    assert sp.sympify(candidate) == sp.Symbol(candidate)
