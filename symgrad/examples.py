"""The networks of the source discussions, by name.

>>> names()[0]
'toy'
>>> toy().weights
(w1, w2, w3, w4, w5, w6, w7, w8, w9, w10)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .constraints import Constant, Constraint
from .errors import SymgradError
from .graph import Network
from .layers import mlp


@dataclass(frozen=True)
class Example:
    """A built-in example: its network and the discussion it answers."""

    name: str
    summary: str
    build: Callable[[], Network]
    seed: str
    init: Constraint = Constant("a")


REGISTRY: dict[str, Example] = {}


def _register(name: str, summary: str, seed: str):
    def decorate(build: Callable[[], Network]) -> Callable[[], Network]:
        REGISTRY[name] = Example(name, summary, build, seed)
        return build

    return decorate


@_register("toy", "two inputs, two hidden layers of two linear units, the output as objective", "001_dd6659ad319648c8.txt")
def toy() -> Network:
    """The toy network of the seed, numbered source-major.

    ``y1 = w1*x1 + w3*x2``, ``y2 = w2*x1 + w4*x2``, ``y3 = w5*y1 + w7*y2``,
    ``y4 = w6*y1 + w8*y2``, ``y = w9*y3 + w10*y4``; the objective is ``y``.
    """
    return mlp([2, 2, 2, 1], name="toy", description="The toy network of the seed: identity activations, objective = output.")


def names() -> list[str]:
    """The names of the built-in examples."""
    return list(REGISTRY)


def example(name: str) -> Example:
    """The built-in example called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise SymgradError(f"unknown example {name!r}: choose one of {', '.join(REGISTRY)}") from None


def get(name: str) -> Network:
    """The network of the built-in example called ``name``."""
    return example(name).build()
