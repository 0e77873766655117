"""Plain data for a proof: what was assumed, what was shown, how.

Nothing here computes or formats: the engines fill these records, reports,
assertions and the command line read them.  Classes are tuples of parameter
indices (numbering order), ordered by their first member; SymPy symbols are
made only when asked for (``Proof.invariant``), so proofs about networks of a
million weights stay small.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..base.printable import Printable
from .classes import Classes


@dataclass(frozen=True)
class Split:
    """Two parts of a class told apart, with a point where their gradients differ."""

    first: int
    second: int
    point: dict | None = None
    values: tuple | None = None


@dataclass(frozen=True)
class Round:
    """One refinement round: each class gets one symbol (its first member's),
    the gradients are computed, and classes split where gradients differ."""

    classes: Classes
    gradients: tuple | None
    result: Classes
    splits: tuple[Split, ...] = ()
    undecided: tuple[tuple[int, int], ...] = ()

    def substitution(self, parameters) -> dict:
        """Each parameter -> the symbol of its class's first member."""
        return Classes(self.classes).substitution(parameters)


@dataclass(frozen=True, repr=False)
class Proof(Printable):
    """Which gradients coincide at an initialisation, and which ties last.

    * ``at_init``: parameters grouped by identical gradient at the initial point;
    * ``invariant``: the coarsest partition, no coarser than the initial ties,
      that gradient descent keeps for every learning rate, input and step;
    * ``stationary``: True when every gradient is proven to vanish
      identically at the initial point (nothing ever moves), False with
      ``stationary_witness`` = (parameter, point, gradient there) where one
      is provably not 0, None when undecided;
    * ``frozen``: parameters proven never to move (``symgrad.proofs.frozen``);
    * ``separations``: for pairs of invariant classes, a run of gradient
      descent from the initial point in which they differ
      (``symgrad.proofs.trajectory``); ``not_separated`` are the pairs of class
      indices with no such run (None: not sought, the network is too large).
    """

    network: object
    init: object
    engine: str
    initial_values: tuple
    base: Classes
    at_init_classes: Classes
    invariant_classes: Classes
    stationary: bool | None
    at_init_gradients: tuple | None = None
    at_init_splits: tuple[Split, ...] = ()
    rounds: tuple[Round, ...] = ()
    undecided: tuple[tuple[int, int], ...] = ()
    zero_gradients: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default=())
    stationary_witness: tuple | None = None
    frozen_parameters: tuple[int, ...] | None = ()
    separations: tuple = ()
    not_separated: tuple[tuple[int, int], ...] | None = None

    @property
    def open_pairs(self) -> tuple[tuple[int, int], ...] | None:
        """Pairs of invariant classes (indices) that no run separated, leaving
        out pairs of frozen classes (they keep their initial values, which the
        text states); None: no run was sought."""
        if self.not_separated is None:
            return None
        frozen = set(self.frozen_parameters or ())
        classes = self.invariant_classes
        return tuple((i, j) for i, j in self.not_separated if not set(classes[i]) | set(classes[j]) <= frozen)

    @property
    def frozen(self) -> tuple[sp.Symbol, ...] | None:
        """The parameters proven never to move (None: this engine does not decide it)."""
        if self.frozen_parameters is None:
            return None
        return tuple(self.network.parameters[p] for p in self.frozen_parameters)

    def _symbols(self, classes: Classes) -> list[tuple[sp.Symbol, ...]]:
        return Classes(classes).symbols(self.network.parameters)

    @property
    def at_init(self) -> list[tuple[sp.Symbol, ...]]:
        return self._symbols(self.at_init_classes)

    @property
    def invariant(self) -> list[tuple[sp.Symbol, ...]]:
        return self._symbols(self.invariant_classes)

    @property
    def step(self) -> Round | None:
        """The induction step: the last round, where no class split."""
        return self.rounds[-1] if self.rounds else None

    def class_of(self, parameter) -> tuple[sp.Symbol, ...]:
        """The invariant class containing ``parameter`` (a symbol or name)."""
        p = self.network.index_of(parameter)
        return next(self._symbols((c,))[0] for c in self.invariant_classes if p in c)
