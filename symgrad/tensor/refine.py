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
from ..maths.palette import ZERO, Palette
from ..maths.refine import split
from .interpret import run


@dataclass(frozen=True)
class Fixpoint:
    names: tuple            # parameter paths, in order
    shapes: dict
    classes: np.ndarray     # flat class id per parameter element (equal ids: tied)
    frozen: np.ndarray      # flat bool
    trainable: np.ndarray   # flat bool (requires_grad)
    rounds: int
    collisions: int
    values: np.ndarray      # flat float64 initial values (-0.0 as 0.0)

    def split(self, flat):
        """A flat array as one array per parameter (views)."""
        return _per_parameter(flat, self.names, self.shapes)


def initial_values(cap):
    """Flat float64 values of all parameters (-0.0 as 0.0), their names and shapes."""
    names = tuple(cap.params)
    shapes = {n: tuple(cap.params[n].shape) for n in names}
    vals = [_numpy(cap.params[n]).ravel() for n in names]
    flat = np.concatenate(vals, dtype=np.float64) if vals else np.zeros(0)   # exact widening, one pass
    flat += 0.0                                                              # -0.0 becomes +0.0
    return names, shapes, flat


def _numpy(p):
    """A parameter's values as numpy, without a copy where numpy has its dtype."""
    import torch
    t = p.detach().cpu()
    return t.numpy() if t.dtype in (torch.float16, torch.float32, torch.float64) else t.double().numpy()


def fixpoint(cap, inputs, max_rounds=200):
    """Refine until nothing splits and nothing thaws."""
    names, shapes, values = initial_values(cap)
    trainable = np.concatenate([np.full(int(np.prod(shapes[n], dtype=np.int64)), cap.trainable[n])
                                for n in names]) if names else np.zeros(0, bool)
    note(f"lint: classes of {len(values):,} initial values")
    classes = None                                      # first round: one class per value
    frozen = np.ones(len(values), bool)
    collisions = 0
    for rounds in range(1, max_rounds + 1):
        pal = Palette()
        if classes is None:
            colours = classes = pal.const(values)
        else:
            colours = np.empty(len(values), np.int64)
            colours[frozen] = pal.const(values[frozen])
            base = pal.count
            pal._grow(int(classes.max(initial=-1)) + 1)    # one fresh colour per class
            colours[~frozen] = base + classes[~frozen]
        colours.setflags(write=False)                      # rules read parameter colours, never write them
        note(f"lint: round {rounds}, colouring {len(cap.graph.nodes)} graph nodes")
        grads = run(cap, pal, _per_parameter(colours, names, shapes), inputs)
        collisions += pal.collisions
        del colours, pal
        g = np.concatenate([grads[n].ravel() for n in names]) if names else np.zeros(0, np.int64)
        del grads
        g[~trainable] = ZERO                              # requires_grad=False: never moves
        new_frozen = frozen & (g == ZERO)
        g += 1                                            # the mark: gradient colour + 1, or 0 if frozen
        g[new_frozen] = 0
        note(f"lint: round {rounds}, splitting classes")
        classes, more = split(classes, g)
        del g
        stable = more == 0 and (new_frozen == frozen).all()
        frozen = new_frozen
        if stable:
            return Fixpoint(names, shapes, classes, frozen, trainable, rounds, collisions, values)
    raise SymgradError(f"colour refinement did not settle in {max_rounds} rounds")


def _per_parameter(flat, names, shapes) -> dict:
    """A flat array as one array per parameter (views)."""
    per, o = {}, 0
    for n in names:
        k = int(np.prod(shapes[n], dtype=np.int64))
        per[n] = flat[o:o + k].reshape(shapes[n])
        o += k
    return per
