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

from .interpret import run
from .palette import ZERO, Palette


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


def fixpoint(cap, inputs, max_rounds=200):
    """Refine until nothing splits and nothing thaws."""
    names, shapes, values = initial_values(cap)
    trainable = np.concatenate([np.full(int(np.prod(shapes[n], dtype=np.int64)), cap.trainable[n])
                                for n in names]) if names else np.zeros(0, bool)
    _, classes = np.unique(values.view(np.int64), return_inverse=True)
    classes = classes.reshape(-1)
    frozen = np.ones(len(values), bool)
    collisions = 0
    for rounds in range(1, max_rounds + 1):
        pal = Palette()
        colours = np.where(frozen, pal.const(values), pal.intern("param", classes[:, None]))
        per = {}
        o = 0
        for n in names:
            k = int(np.prod(shapes[n], dtype=np.int64))
            per[n] = colours[o:o + k].reshape(shapes[n])
            o += k
        grads = run(cap, pal, per, inputs)
        collisions += pal.collisions
        g = np.concatenate([grads[n].ravel() for n in names]) if names else np.zeros(0, np.int64)
        g = np.where(trainable, g, ZERO)                  # requires_grad=False: never moves
        new_frozen = frozen & ((g == ZERO) | ~trainable)
        key = np.stack([classes, np.where(new_frozen, ZERO, g), new_frozen.astype(np.int64)], axis=1)
        _, new = np.unique(key, axis=0, return_inverse=True)
        new = new.reshape(-1)
        stable = (new_frozen == frozen).all() and new.max(initial=-1) == classes.max(initial=-1)
        classes, frozen = new, new_frozen
        if stable:
            return Fixpoint(names, shapes, classes, frozen, trainable, grads, rounds, collisions)
    from symgrad.errors import SymgradError
    raise SymgradError(f"colour refinement did not settle in {max_rounds} rounds")
