"""symgrad's pytest plugin (entry point ``pytest11``): fixtures only.

Installed with symgrad, it gives every test suite

* ``symgrad_example``: a factory, ``symgrad_example("softmax_ce")`` builds a
  built-in example network (``symgrad.specs.examples.names()`` lists them);
* ``symgrad_toy``: the toy network (two inputs, two hidden layers of two
  linear units, one output); ``toy_net`` is its old name, kept for one
  release with a deprecation warning;
* ``symgrad_assert``: the module ``symgrad.testing``, whose assertions
  (``assert_gradients_equal`` and friends) fail with both gradients, their
  simplified difference and a point where they differ.

symgrad is imported only when a test asks for a fixture::

    def test_hidden_units_tie(symgrad_example, symgrad_assert):
        net = symgrad_example("softmax_ce_hidden")
        symgrad_assert.assert_tied_forever(net, [["w1", "w2"], ["w3", "w4"]])
"""
from __future__ import annotations

import warnings

import pytest


@pytest.fixture
def symgrad_example():
    """A factory: ``symgrad_example(name)`` is the built-in example ``name``."""
    from symgrad import examples

    return examples.get


@pytest.fixture
def symgrad_toy(symgrad_example):
    """The toy network: two inputs, two hidden layers of two linear units."""
    return symgrad_example("toy")


@pytest.fixture
def toy_net(symgrad_toy):
    """Deprecated: use ``symgrad_toy``."""
    warnings.warn("the fixture toy_net is deprecated: use symgrad_toy", DeprecationWarning, stacklevel=2)
    return symgrad_toy


@pytest.fixture
def symgrad_assert():
    """The assertion helpers of ``symgrad.testing``."""
    from symgrad import testing

    return testing
