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
from ..maths.palette import ONE, ZERO, Palette
from ..maths.refine import dense, split
from . import factored
from .interpret import run
from .rules import ZEROS
from .structure import Structured


@dataclass(frozen=True)
class Fixpoint:
    names: tuple            # parameter paths, in order
    shapes: dict
    classes: np.ndarray     # flat class id per parameter element (equal ids: tied)
    frozen: np.ndarray      # flat bool
    trainable: np.ndarray   # flat bool (requires_grad)
    rounds: int
    collisions: int
    values: np.ndarray      # flat initial values (-0.0 as 0.0): float32 if every parameter is, else float64
    symbols: np.ndarray | None = None   # flat: the generic symbol of an entry that starts random, else -1
    structured: Structured | None = None   # the parameters kept by rows and columns
    starts: dict | None = None          # each parameter's stated start (None: its values)
    ordered: int = 0                    # products named by their ordered rows (finer than multisets)
    shared: dict | None = None          # name -> flat bool of the entries sharing their class (else none)

    def split(self, flat):
        """A flat array as one array per parameter (views)."""
        return _per_parameter(flat, self.names, self.shapes)

    def sharing(self):
        """Flat bool: the entries whose class has another entry (every entry when not known)."""
        if self.shared is None:
            return np.ones(len(self.classes), bool)
        out, o = np.zeros(len(self.classes), bool), 0
        for n in self.names:
            k = int(np.prod(self.shapes[n], dtype=np.int64))
            if n in self.shared:
                out[o:o + k] = self.shared[n]
            o += k
        return out


def initial_values(cap, starts=None, names=None):
    """Flat values of the parameters ``names`` (default: all; -0.0 as 0.0; float32 if
    every parameter is, else float64, an exact widening), their names and shapes, and
    the generic symbol of every entry that starts random (-1 elsewhere; None if none)."""
    names = tuple(cap.params) if names is None else tuple(names)
    shapes = {n: tuple(cap.params[n].shape) for n in names}
    if not starts or all(starts[n].kind == "values" for n in names):
        vals = [_numpy(cap.params[n]).ravel() for n in names]
        narrow = all(v.dtype == np.float32 for v in vals)
        flat = np.concatenate(vals, dtype=np.float32 if narrow else np.float64) if vals else np.zeros(0)
        flat += 0.0                                                          # -0.0 becomes +0.0
        return names, shapes, flat, None
    vals, syms, offsets = [], [], {}
    for n in names:
        size = int(np.prod(shapes[n], dtype=np.int64))
        value, symbol = _stated(cap, starts, n, size, offsets)
        vals.append(value)
        syms.append(symbol)
    flat = np.concatenate(vals) + 0.0 if vals else np.zeros(0)
    symbols = np.concatenate(syms) if syms else np.zeros(0, np.int64)
    return names, shapes, flat, (symbols if (symbols >= 0).any() else None)


def _stated(cap, starts, name, size, offsets):
    """One parameter's start as (values, symbols): a random start is one symbol per
    entry (shared by its copies), a constant or its values are values."""
    start = starts[name]
    root = start.source if start.kind == "copy" else name
    kind = starts[root].kind if start.kind == "copy" else start.kind
    if kind == "constant":
        return np.full(size, start.value, np.float64), np.full(size, -1, np.int64)
    if kind == "values":
        return _numpy(cap.params[root]).ravel().astype(np.float64), np.full(size, -1, np.int64)
    first = offsets.setdefault(root, sum(_size(cap, r) for r in offsets))
    return np.full(size, np.nan), np.arange(first, first + size, dtype=np.int64)


def _size(cap, name):
    return int(np.prod(tuple(cap.params[name].shape), dtype=np.int64))


def kept_structured(cap, starts) -> list:
    """The parameters kept by rows and columns: at least ``factored.STRUCTURE_MIN``
    entries, two axes or more, and a stated start that is not their values."""
    if not starts:
        return []
    out = []
    for n, p in cap.params.items():
        start = starts[n]
        kind = starts[start.source].kind if start.kind == "copy" else start.kind
        if kind != "values" and p.dim() >= 2 and p.numel() >= factored.STRUCTURE_MIN:
            out.append(n)
    return out


def value_classes(values, symbols=None):
    """Dense ids of the initial values (equal ids iff equal values; NaNs are one value),
    the distinct values in id order, and whether each entry's class has another entry
    (None with symbols); an entry with a generic symbol (``symbols >= 0``) is in the
    class of its symbol, after them.

    >>> c, v, shared = value_classes(np.array([0.5, -1.0, 0.5, np.nan, -np.nan], np.float32))
    >>> bool(c[0] == c[2] != c[1]), bool(c[3] == c[4] != c[0]), bool((v[c[:3]] == [0.5, -1.0, 0.5]).all())
    (True, True, True)
    >>> shared.tolist()
    [True, False, True, True, True]
    >>> value_classes(np.array([1.0, np.nan, np.nan]), np.array([-1, 0, 0]))[0].tolist()
    [0, 2, 2]
    """
    bits = values.view(np.uint32 if values.dtype == np.float32 else np.uint64)
    nan = np.isnan(values)
    if nan.any():
        bits = np.where(nan, np.array([np.nan], values.dtype).view(bits.dtype)[0], bits)
    if symbols is None:
        classes, count, distinct, shared = dense(bits, distinct=True, shared=True)
        return classes, distinct.view(values.dtype), shared
    classes, count, distinct = dense(bits, distinct=True)
    generic = symbols >= 0
    classes[generic] = count + symbols[generic]
    return classes, distinct.view(values.dtype), None


def _symbol_colours(pal, colours, symbols, where):
    """Colour the entries at ``where`` (a bool mask, or every entry) that start random
    by their symbols: one fresh colour per symbol, so a copy shares its source's."""
    base = pal.count
    pal._grow(int(symbols.max()) + 1)
    at = symbols >= 0 if isinstance(where, slice) else (symbols >= 0) & where
    colours[at] = base + symbols[at]


def _parameter_colours(pal, classes, frozen, flat_values, symbols, distinct=None):
    """The colour of every (flat) parameter entry in a new pass: a frozen entry is its
    initial value (a constant: 0 and 1 are ZERO and ONE), a moving one its class's
    fresh colour, a random start its symbol's (``flat_values()``: the initial values
    of every entry, flat).  In round one (``distinct``: the
    distinct values in class order) every entry is frozen and the constants' colours
    are one block, one per distinct value."""
    if distinct is not None:
        colours = np.add(classes, pal.value_block(distinct))
        for value, colour in ((0.0, ZERO), (1.0, ONE)):
            for c in np.flatnonzero(distinct == value):
                colours[classes == c] = colour
        if symbols is not None:
            _symbol_colours(pal, colours, symbols, slice(None))
        return colours
    fixed = pal.const(flat_values()[frozen])
    base = pal.count
    pal._grow(int(classes.max(initial=-1)) + 1)          # one fresh colour per class
    colours = np.add(classes, base)
    colours[frozen] = fixed
    del fixed
    if symbols is not None:
        _symbol_colours(pal, colours, symbols, frozen)
    return colours


def _numpy(p):
    """A parameter's values as numpy, without a copy where numpy has its dtype."""
    import torch
    t = p.detach().cpu()
    return t.numpy() if t.dtype in (torch.float16, torch.float32, torch.float64) else t.double().numpy()


def fixpoint(cap, inputs, max_rounds=200, starts=None):
    """Refine until nothing splits and nothing thaws.

    Each round asks of each element only what can still change it: the colour
    of its gradient while it shares its class (the colours split the class);
    only whether its gradient is provably zero while it is alone in its class
    but frozen and trainable (it may thaw); nothing once it is alone and thawed
    or not trainable (it is *settled*).  A parameter whose elements are all
    settled is coloured but asked for nothing, and every delta that would only
    lead to it is skipped, as autograd skips what needs no gradient."""
    big = kept_structured(cap, starts)
    structured = Structured({n: tuple(cap.params[n].shape) for n in big}, {n: starts[n] for n in big},
                            cap.trainable) if big else None
    names, shapes, values, symbols = initial_values(cap, starts, [n for n in cap.params if n not in set(big)])
    sizes = [int(np.prod(shapes[n], dtype=np.int64)) for n in names]
    trainable = np.repeat(np.array([bool(cap.trainable[n]) for n in names], bool), sizes)
    note(f"lint: classes of {len(values):,} initial values")
    classes, distinct, shared = value_classes(values, symbols)   # first round: one class per value
    frozen = np.ones(len(values), bool)                          # and every parameter frozen
    if symbols is None:             # the parameters' own values: read again when needed, not kept
        values = None               # beside them while the passes run (half a GB for GPT-2)

    def flat_values():
        return values if values is not None else initial_values(cap, starts, names)[2]
    asks, silent = _asks(names, sizes, set(names), classes, frozen, trainable, {}, shared)
    del shared
    unreached: dict = {}                                 # entries no gradient reaches (round one finds them)
    collisions = ordered = 0
    for rounds in range(1, max_rounds + 1):
        step = _Step(names, sizes, asks, classes, frozen)
        wanted = {n: ask for n, ask in asks.items() if cap.trainable[n] and n not in silent}
        big_asks = structured.asks() if structured is not None else {}
        if wanted or big_asks:                          # else the pass would tell nothing new
            pal = Palette()
            colours = _parameter_colours(pal, classes, frozen, flat_values, symbols, distinct)
            distinct = None
            shown = colours.view()
            shown.setflags(write=False)                    # rules read parameter colours, never write them
            note(f"lint: round {rounds}, colouring {len(cap.graph.nodes)} graph nodes "
                 f"({len(wanted) + len(big_asks)} of {len(names) + len(big_asks)} parameters still in play)")
            param_colours = _per_parameter(shown, names, shapes)
            if structured is not None:
                param_colours.update(structured.colours(pal))
                wanted.update(big_asks)
                step.structured = (structured, big_asks)
            run(cap, pal, param_colours, inputs, wanted, step.take, reach=unreached if rounds == 1 else None)
            collisions += pal.collisions
            ordered += pal.ordered
            del colours, shown, pal, param_colours
        note(f"lint: round {rounds}, splitting classes")
        more, thawed = step.finish()
        if structured is not None and big_asks:
            more_big, thawed_big = structured.finish()
            more, thawed = more + more_big, thawed or thawed_big
        del step
        if more == 0 and not thawed:                       # the classes are those ``asks`` was made of
            return Fixpoint(names, shapes, classes, frozen, trainable, rounds, collisions, flat_values(), symbols,
                            structured, starts, ordered, _shared(asks))
        if int(classes.max(initial=-1)) >= (1 << 31) - 1:  # keep ids small: renumber densely (rare)
            classes = dense(classes.view(np.uint64))[0]
        asks, silent = _asks(names, sizes, set(asks), classes, frozen, trainable, unreached)
        if not asks and (structured is None or not structured.asks()):   # every entry settled: a pass
            return Fixpoint(names, shapes, classes, frozen, trainable, rounds, collisions, flat_values(), symbols,
                            structured, starts, ordered, {})                        # would change nothing
    raise SymgradError(f"colour refinement did not settle in {max_rounds} rounds")


class _Step:
    """One step of both fixpoints, in place, fed one parameter's gradient at a time
    (so no gradient outlives its parameter's turn): a frozen element whose gradient
    may not be zero thaws, and the classes of the parameters asked for gradient
    colours split by (gradient colour, frozen) (an element alone in its class, whose
    colour was not named, cannot split)."""

    def __init__(self, names, sizes, asks, classes, frozen):
        self.asks, self.classes, self.frozen = asks, classes, frozen
        self.where = dict(zip(names, zip(np.cumsum([0] + sizes[:-1]).tolist(), sizes)))
        self.coloured = [n for n in names if n in asks and asks[n] is not ZEROS]
        self.at = _elements(names, sizes, self.coloured)
        self.slot, m = {}, 0
        for n in self.coloured:
            self.slot[n] = m
            m += self.where[n][1]
        self.marks = np.empty(m, np.uint32)        # the mark: gradient colour + 1, or 0 if frozen
        self.taken, self.thawed = set(), False

    structured = None           # (Structured, its asks) when some parameters are kept by rows and columns

    def take(self, name, g):
        if self.structured is not None and name in self.structured[0].members:
            ask = self.structured[1].get(name)
            if ask is not None:
                self.structured[0].take(name, g, ask)
            return
        ask = self.asks.get(name)
        if ask is None:
            return
        o, k = self.where[name]
        g = g.ravel()
        moves = g if g.dtype == bool else g != ZERO
        self.thawed = self.thawed or bool((self.frozen[o:o + k] & moves).any())
        self.frozen[o:o + k] &= ~moves
        if ask is not ZEROS:
            mark = self.marks[self.slot[name]:self.slot[name] + k]
            np.add(g, 1, out=mark, casting="unsafe")      # colours lie below 2**31
            mark[self.frozen[o:o + k]] = 0
        self.taken.add(name)

    def finish(self):
        """Split the classes; how many are new, and whether any element thawed."""
        for n in self.coloured:
            if n not in self.taken:                        # no gradient (not trainable): never moves
                o, k = self.where[n]
                self.marks[self.slot[n]:self.slot[n] + k] = ~self.frozen[o:o + k]
        if not self.coloured:
            return 0, self.thawed
        part, more = split(self.classes[self.at], self.marks, int(self.classes.max(initial=-1)) + 1, inplace=True)
        self.classes[self.at] = part
        return more, self.thawed


def _elements(names, sizes, chosen):
    """The flat positions of the parameters ``chosen`` (a slice when they are all)."""
    if len(chosen) == len(names):
        return slice(None)
    chosen, ends = set(chosen), np.cumsum(sizes)
    return np.concatenate([np.arange(e - k, e) for n, k, e in zip(names, sizes, ends) if n in chosen]
                          or [np.zeros(0, np.int64)])


def _asks(names, sizes, active, classes, frozen, trainable, unreached, shared=None) -> tuple:
    """What to ask next round of each parameter of ``active`` that is not settled:
    a bool array of its elements that share their class (the colours of its
    gradient are wanted there, its zero pattern elsewhere), or ``ZEROS`` when
    they are all alone but a trainable one is frozen (its zero pattern alone).
    Also the parameters asked only about entries no gradient reaches (``unreached``:
    name -> flat bool): their answer is known (zero), so no pass is needed for them.
    ``shared``: which of the active entries share their class, when already known."""
    at = _elements(names, sizes, active)
    if shared is None:
        mine = classes[at]
        shared = (np.bincount(mine) > 1)[mine]            # a class never mixes settled and live elements
        del mine
    may_thaw = frozen[at] & trainable[at]
    asks, silent, o = {}, set(), 0
    for n, k in zip(names, sizes):
        if n in active:
            if shared[o:o + k].any():
                asks[n] = shared[o:o + k]
            elif may_thaw[o:o + k].any():
                asks[n] = ZEROS
            if n in asks and n in unreached and not ((shared[o:o + k] | may_thaw[o:o + k]) & ~unreached[n]).any():
                silent.add(n)
            o += k
    return asks, silent


def _shared(asks) -> dict:
    """The entries sharing their class, per parameter, as ``_asks`` found them."""
    return {n: ask for n, ask in asks.items() if ask is not ZEROS}


def _per_parameter(flat, names, shapes) -> dict:
    """A flat array as one array per parameter (views)."""
    per, o = {}, 0
    for n in names:
        k = int(np.prod(shapes[n], dtype=np.int64))
        per[n] = flat[o:o + k].reshape(shapes[n])
        o += k
    return per
