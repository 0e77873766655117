"""The two fixpoints, run together: ties (colour refinement) and frozen parameters.

Hypothesis H(classes, frozen): every frozen parameter keeps its initial
value and parameters in one class are equal.  Under H a pass colours every
gradient; a frozen parameter whose gradient is not provably zero thaws, and
classes split by (class, gradient colour, frozen).  Starting from the
strongest hypothesis (everything frozen, classes by initial value) this
reaches the greatest fixpoint, where H implies "frozen gradients are 0 and
gradients agree within classes", so every step of an elementwise optimiser
keeps H: the induction that makes the ties and the frozen set permanent.
"""

from dataclasses import dataclass

import numpy as np

from ..base.errors import SymgradError
from ..base.progress import note
from ..maths.palette import ZERO, Palette, argsort_u64
from ..maths.refine import dense
from .interpret import run


@dataclass(frozen=True)
class Fixpoint:
    names: tuple            # parameter paths, in order
    shapes: dict
    classes: np.ndarray     # flat class id per parameter element (equal ids: tied)
    frozen: np.ndarray      # flat bool
    trainable: np.ndarray   # flat bool (requires_grad)
    grads: dict             # name -> gradient colours in the last pass
    rounds: int
    collisions: int
    values: np.ndarray      # flat float64 initial values (-0.0 as 0.0)

    def split(self, flat):
        """A flat array as one array per parameter (views)."""
        return _per_parameter(flat, self.names, self.shapes)


def initial_values(cap):
    """Flat float64 values of all parameters (-0.0 as 0.0), their names and shapes,
    written tensor by tensor into one buffer (no concatenated copies)."""
    names = tuple(cap.params)
    shapes = {n: tuple(cap.params[n].shape) for n in names}
    sizes = [int(np.prod(shapes[n], dtype=np.int64)) for n in names]
    flat = np.empty(sum(sizes), np.float64)
    o = 0
    for n, k in zip(names, sizes):
        flat[o:o + k] = cap.params[n].detach().cpu().reshape(-1).numpy()
        o += k
    flat += 0.0
    return names, shapes, flat


@dataclass(frozen=True)
class ValueTies:
    """The initial ties.  ``named`` holds (as bits, sorted as uint64) the values
    held by several elements, and 0 and 1 where they occur (the zero facts need
    them by value);
    ``members`` are the elements holding a named value, with the index of their
    value as class id; every other element has an id of its own,
    ``len(members) + index``, above any class the members can split into.

    >>> t = value_ties(np.array([0.5, 2.0, 0.5, 3.0, 0.0]))
    >>> t.classes.tolist(), t.members.tolist(), np.array(t.named).view(np.float64).tolist()
    ([1, 4, 1, 6, 0], [0, 2, 4], [0.0, 0.5])
    """

    classes: np.ndarray
    named: np.ndarray
    members: np.ndarray


def value_ties(values) -> ValueTies:
    """The ``ValueTies`` of flat float64 values (bitwise, -0.0 as 0.0), by one sort."""
    bits = np.where(np.isnan(values), np.nan, values + 0.0).view(np.uint64)
    n = len(bits)
    if n == 0:
        return ValueTies(np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.int64))
    order, ordered = argsort_u64(bits)
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    sizes = np.diff(np.append(starts, n))
    value = ordered[starts]
    named_group = (sizes > 1) | (value == np.float64(0.0).view(np.uint64)) | (value == np.float64(1.0).view(np.uint64))
    named = value[named_group]
    rank = np.arange(len(named))
    in_named = np.repeat(named_group, sizes)                 # per sorted position
    members = np.sort(order[in_named])
    classes = np.arange(len(members), len(members) + n, dtype=np.int64)
    classes[order[in_named]] = np.repeat(rank, sizes[named_group])
    return ValueTies(classes, named, members)


def fixpoint(cap, inputs, max_rounds=200):
    """Refine until nothing splits and nothing thaws.

    Only classes of a value held by several elements can split (an element of a
    value of its own is alone in its class from the start), so the splitting
    works on those elements alone, whatever the size of the model."""
    names, shapes, values = initial_values(cap)
    trainable = np.concatenate([np.full(int(np.prod(shapes[n], dtype=np.int64)), cap.trainable[n])
                                for n in names]) if names else np.zeros(0, bool)
    note(f"lint: classes of {len(values):,} initial values")
    ties = value_ties(values)
    classes, members = ties.classes, ties.members
    value_of = ties.classes[members]                     # index into ties.named of each member's value
    count = len(np.unique(value_of))                     # classes among the members
    frozen = np.ones(len(values), bool)
    collisions = 0
    for rounds in range(1, max_rounds + 1):
        pal = Palette()
        named = pal.const_sorted(ties.named) if len(ties.named) else np.zeros(0, np.int64)
        base = pal.count
        pal._grow(len(members) + len(values))            # one fresh colour per class
        colours = classes + base
        still = frozen[members]
        colours[members[still]] = named[value_of[still]]   # a frozen parameter is its initial value
        note(f"lint: round {rounds}, colouring {len(cap.graph.nodes)} graph nodes")
        grads = run(cap, pal, _per_parameter(colours, names, shapes), inputs)
        del colours
        collisions += pal.collisions
        del pal
        g = np.concatenate([grads[n].ravel() for n in names]) if names else np.zeros(0, np.int64)
        new_frozen = frozen & ((g == ZERO) | ~trainable)  # requires_grad=False: never moves
        note(f"lint: round {rounds}, splitting classes")
        gm = np.where(trainable[members], g[members], ZERO)
        del g
        key = (classes[members].astype(np.uint64) << np.uint64(32)) | np.where(new_frozen[members], 0, gm + 1).astype(np.uint64)
        split, new_count = dense(key)
        stable = (new_frozen == frozen).all() and new_count == count
        classes[members] = split                         # below len(members): apart from the rest
        frozen, count = new_frozen, new_count
        if stable:
            return Fixpoint(names, shapes, classes, frozen, trainable, grads, rounds, collisions, values)
    raise SymgradError(f"colour refinement did not settle in {max_rounds} rounds")


def _per_parameter(colours, names, shapes) -> dict:
    """The flat colours as one array per parameter (views)."""
    per, o = {}, 0
    for n in names:
        k = int(np.prod(shapes[n], dtype=np.int64))
        per[n] = colours[o:o + k].reshape(shapes[n])
        o += k
    return per
