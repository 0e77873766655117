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
    classes: np.ndarray     # flat class id per parameter element
    frozen: np.ndarray      # flat bool
    trainable: np.ndarray   # flat bool (requires_grad)
    grads: dict             # name -> gradient colours in the last pass
    rounds: int
    collisions: int

    def split(self, flat):
        out, o = {}, 0
        for n in self.names:
            k = int(np.prod(self.shapes[n], dtype=np.int64))
            out[n] = flat[o:o + k].reshape(self.shapes[n])
            o += k
        return out


def initial_values(cap):
    """Flat float64 values of all parameters (-0.0 as 0.0), their names and shapes."""
    names = tuple(cap.params)
    shapes = {n: tuple(cap.params[n].shape) for n in names}
    vals = [cap.params[n].detach().cpu().double().numpy().ravel() for n in names]
    flat = np.concatenate(vals) if vals else np.zeros(0)
    return names, shapes, flat + 0.0


def value_classes(values):
    """Classes of the initial values (bitwise, -0.0 as 0.0) and the unique bit patterns
    sorted as uint64 (one sort)."""
    v = np.where(np.isnan(values), np.nan, values + 0.0)
    bits = v.view(np.uint64)
    if len(bits) == 0:
        return np.zeros(0, np.int64), bits
    order, sk = argsort_u64(bits)
    starts = np.concatenate([[True], sk[1:] != sk[:-1]])
    gid = np.cumsum(starts) - 1
    inv = np.empty(len(bits), np.int64)
    inv[order] = gid
    return inv, sk[starts]


def fixpoint(cap, inputs, max_rounds=200):
    """Refine until nothing splits and nothing thaws."""
    names, shapes, values = initial_values(cap)
    trainable = np.concatenate([np.full(int(np.prod(shapes[n], dtype=np.int64)), cap.trainable[n])
                                for n in names]) if names else np.zeros(0, bool)
    note(f"lint: classes of {len(values):,} initial values")
    vinv, uv = value_classes(values)
    classes, ncls = vinv, len(uv)
    frozen = np.ones(len(values), bool)
    collisions = 0
    for rounds in range(1, max_rounds + 1):
        pal = Palette()
        if frozen.all():
            colours = pal.const_sorted(uv)[vinv]
        else:
            colours = np.empty(len(values), np.int64)
            colours[frozen] = pal.const(values[frozen])
            base = pal.count
            pal._grow(ncls)                                # one fresh colour per class
            colours[~frozen] = base + classes[~frozen]
        per = {}
        o = 0
        for n in names:
            k = int(np.prod(shapes[n], dtype=np.int64))
            per[n] = colours[o:o + k].reshape(shapes[n])
            o += k
        del colours
        note(f"lint: round {rounds}, colouring {len(cap.graph.nodes)} graph nodes")
        grads = run(cap, pal, per, inputs)
        collisions += pal.collisions
        del per, pal
        g = np.concatenate([grads[n].ravel() for n in names]) if names else np.zeros(0, np.int64)
        g = np.where(trainable, g, ZERO)                  # requires_grad=False: never moves
        new_frozen = frozen & ((g == ZERO) | ~trainable)
        key = (classes.astype(np.uint64) << np.uint64(32)) | np.where(new_frozen, 0, g + 1).astype(np.uint64)
        del g
        note(f"lint: round {rounds}, splitting classes")
        new, nnew = dense(key)
        del key
        stable = (new_frozen == frozen).all() and nnew == ncls
        classes, frozen, ncls = new, new_frozen, nnew
        if stable:
            return Fixpoint(names, shapes, classes, frozen, trainable, grads, rounds, collisions)
    raise SymgradError(f"colour refinement did not settle in {max_rounds} rounds")
