"""Training-trace figures: one colour per invariant class, tied lines together."""
import pytest

import symgrad as sg
from symgrad.report.plot import line_styles, parameter_classes, plot_trace, plot_training

pytest.importorskip("matplotlib", reason="needs matplotlib (pip install 'symgrad[plot]')")

TOY_TIES = [["w1", "w2"], ["w3", "w4"], ["w5", "w6", "w7", "w8"], ["w9", "w10"]]


def _base_colours(figure):
    """Each drawn line's colour (RGB) and its data."""
    (axes,) = figure.axes
    return [(tuple(round(c, 6) for c in line.get_color()[:3]), tuple(line.get_ydata())) for line in axes.get_lines()]


def test_toy_constant_init_draws_four_bundles(tmp_path):
    figure = plot_training(sg.examples.toy(), sg.Constant("a"), tmp_path / "toy.png", steps=20)
    assert (tmp_path / "toy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = _base_colours(figure)
    assert len(lines) == 10
    ends = {round(ys[-1], 12) for _, ys in lines}
    assert len(ends) == 4  # four bundles, seen in the data themselves
    net = sg.examples.toy()
    for group in TOY_TIES:  # the seed's ties: identical trajectories
        members = [net.index_of(w) for w in group]
        assert len({lines[p][1] for p in members}) == 1
    (axes,) = figure.axes
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["w1 = w2", "w3 = w4", "w5 = w6 = w7 = w8", "w9 = w10"]
    firsts = [lines[net.index_of(g[0])][0] for g in TOY_TIES]
    assert len(set(firsts)) == 4


def test_distinct_classes_have_distinct_colours_and_pdf_output(tmp_path):
    net = sg.examples.toy()
    trace = sg.train(net, sg.Distinct(), steps=5, seed=2)
    figure = plot_trace(trace, tmp_path / "toy.pdf", None)
    assert (tmp_path / "toy.pdf").read_bytes()[:5] == b"%PDF-"
    colours = [c for c, _ in _base_colours(figure)]
    assert len(set(colours)) == 10


def test_classes_by_name_and_by_proof_agree():
    net = sg.examples.toy()
    proof = sg.prove(net, sg.Constant("a"))
    assert parameter_classes(net, TOY_TIES) == parameter_classes(net, proof) == [(0, 1), (2, 3), (4, 5, 6, 7), (8, 9)]
    assert parameter_classes(net, [["w9", "w10"]])[:2] == [(0,), (1,)]
    styles = line_styles(net, proof)
    assert [s.colour for s in styles] == [0, 0, 1, 1, 2, 2, 2, 2, 3, 3]
    assert [s.width for s in styles[4:8]] == sorted((s.width for s in styles[4:8]), reverse=True)
