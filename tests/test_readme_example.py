"""The README's example test: gradient assertions with symgrad's pytest fixtures."""
import symgrad as sg
from symgrad.testing import assert_gradients_differ, assert_gradients_equal, assert_stationary, assert_tied_forever


def test_constant_init_ties_the_toy_network(symgrad_toy):
    assert_gradients_equal(symgrad_toy, "w1", "w2", init=sg.Constant("a"))
    assert_gradients_differ(symgrad_toy, "w1", "w3", init=sg.Constant("a"))
    assert_tied_forever(symgrad_toy, [["w1", "w2"], ["w3", "w4"], ["w5", "w6", "w7", "w8"], ["w9", "w10"]],
                        init=sg.Constant("a"))


def test_zero_init_never_moves(symgrad_toy):
    assert_stationary(symgrad_toy, sg.Zero())


def test_hidden_units_stay_redundant_under_softmax(symgrad_example):
    net = symgrad_example("softmax_ce_hidden")
    assert_tied_forever(net, [["w1", "w2"], ["w3", "w4"]], init=sg.Constant("a"))
