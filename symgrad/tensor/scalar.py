"""Scalar emission: tensors as arrays of references, arithmetic as scalar nodes.

A tensor during conversion is a ``Ref``: an array shaped like it whose
entries are node ids (``"node"``), parameter element ids (``"param"``),
known float values (``"const"``) or target symbols (``"target"``).  Shape
ops move references and build nothing.  Arithmetic is a sum of *terms*,
each a coefficient times at most two factors, gathered at output elements
(``Emitter.combine``): a parameter times a value becomes an edge into a
neuron, a product of two values a ``Product`` node, and what is left a
fixed linear combination (``Affine``), so the scalar network computes what
the tensor program computes, in exact arithmetic.

>>> e = Emitter("demo", {"w": (2,)})
>>> x = e.inputs((2,), "x")
>>> y = e.combine((1,), [Term(np.zeros(2, np.int64), x, np.arange(2), e.parameter("w"), np.arange(2))])
>>> net = e.build(y.a.ravel().tolist())
>>> net.nodes[net.objective].symbol, net.weights
(y1, (w_0, w_1))
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
import sympy as sp

from ..base.errors import SymgradError
from ..base.limits import SCALAR_MODEL_NODES
from ..base.names import check_name
from ..model.graph import NetworkBuilder
from ..model.nodes import FUNCTION, INPUT
from ..model.ops import Affine, Apply, Product, Softmax, Total

@dataclass
class Ref:
    """A tensor during conversion: an array of references of one ``kind``;
    ``fresh`` when every entry is its own new neuron that nothing reads yet."""

    kind: str
    a: np.ndarray
    fresh: bool = False

    @property
    def shape(self) -> tuple:
        return tuple(self.a.shape)

    def at(self, a) -> "Ref":
        """The same kind of references, rearranged (a shape op)."""
        return Ref(self.kind, np.asarray(a))


@dataclass
class Term:
    """``coef * x[xi] * y[yi]`` (``y`` optional) added to output element ``owner``;
    with ``invert`` the factor ``y`` divides instead (a known constant)."""

    owner: np.ndarray
    x: Ref
    xi: np.ndarray
    y: Ref | None = None
    yi: np.ndarray | None = None
    coef: float = 1.0
    invert: bool = False


def parameter_name(path: str, index: tuple, shape: tuple) -> str:
    """A symbol name for one element of a parameter: ``fc1.weight[2, 0]`` is
    ``fc1_weight_2_0`` (``p0_weight_1`` for a path that starts with a digit).

    >>> parameter_name("0.weight", (1, 2), (3, 4)), parameter_name("gain", (), ())
    ('p0_weight_1_2', 'gain')
    """
    stem = "_".join(part for part in path.replace(".", "_").split("_") if part)
    stem = stem if stem[:1].isalpha() else "p" + stem
    return "_".join([stem, *map(str, index)])


class Emitter:
    """Builds the scalar network node by node; parameters are numbered over the
    model's parameter elements (``shapes``: path -> shape) and only those that
    end on an edge become parameters of the network."""

    def __init__(self, name: str, shapes: dict, description: str = ""):
        self.b = NetworkBuilder(name, description)
        self.offsets, total = {}, 0
        for path, shape in shapes.items():
            self.offsets[path], total = total, total + int(np.prod(shape, dtype=np.int64))
        self.shapes = {path: tuple(shape) for path, shape in shapes.items()}
        self.edges = ([], [], [])                # sources, targets, parameter element ids
        self.counts: dict[str, int] = {}
        self.param_node: dict[int, int] = {}
        self.const_node: dict[Fraction, int] = {}
        self.data: dict = {}

    # --- names and nodes ---------------------------------------------------------
    def _name(self, prefix: str) -> str:
        self.counts[prefix] = self.counts.get(prefix, 0) + 1
        return f"{prefix}{self.counts[prefix]}"

    def _guard(self) -> None:
        if self.b.node_count > SCALAR_MODEL_NODES:
            raise SymgradError(f"the model needs more than {SCALAR_MODEL_NODES:,} scalar nodes: too big for the "
                               "algebraic level (symgrad lint proves its ties at the tensor level)")

    def neuron(self) -> int:
        self._guard()
        return self.b.neuron(self._name("y"), 1)

    def function(self, prefix: str, op, args, uses=(), targets=()) -> int:
        self._guard()
        return self.b.function(self._name(prefix), 1, op, args, uses, targets)

    def inputs(self, shape: tuple, prefix: str) -> Ref:
        ids = [self.b.input(self._name(prefix)) for _ in range(int(np.prod(shape, dtype=np.int64)))]
        return Ref("node", np.array(ids, np.int64).reshape(shape))

    def targets(self, shape: tuple) -> Ref:
        symbols = [self.b.target(self._name("t")) for _ in range(int(np.prod(shape, dtype=np.int64)))]
        return Ref("target", np.array(symbols, object).reshape(shape))

    def parameter(self, path: str) -> Ref:
        shape = self.shapes[path]
        n = int(np.prod(shape, dtype=np.int64))
        return Ref("param", np.arange(self.offsets[path], self.offsets[path] + n, dtype=np.int64).reshape(shape))

    # --- references as nodes -------------------------------------------------------
    def nodes(self, ref: Ref) -> np.ndarray:
        """Node ids for ``ref``: a parameter's value is a neuron ``w * 1``, a
        constant an ``Affine`` node with no argument (each made once)."""
        if ref.kind == "node":
            return ref.a
        if ref.kind == "target":
            raise SymgradError("the targets are used outside a loss: the scalar network reads them only in a loss")
        make = self._param_value if ref.kind == "param" else self._const_value
        flat = [make(v) for v in ref.a.ravel().tolist()]
        return np.array(flat, np.int64).reshape(ref.shape)

    def _param_value(self, p: int) -> int:
        if p not in self.param_node:
            j = self.neuron()
            self._edges([self.b.bias_node], [j], [p])
            self.param_node[p] = j
        return self.param_node[p]

    def _const_value(self, v: float) -> int:
        q = Fraction(v)
        if q not in self.const_node:
            self.const_node[q] = self.function("c", Affine((), q), ())
        return self.const_node[q]

    def _edges(self, sources, targets, params) -> None:
        for store, values in zip(self.edges, (sources, targets, params)):
            store.append(np.asarray(values, np.int64).ravel())

    # --- arithmetic ----------------------------------------------------------------
    def combine(self, shape: tuple, terms: list[Term]) -> Ref:
        """The tensor of ``shape`` whose element ``o`` is the sum of the terms owned by ``o``."""
        n = int(np.prod(shape, dtype=np.int64))
        edge_owner, edge_src, edge_par = [], [], []
        linear: list[list] = [[] for _ in range(n)]       # (node, coefficient) per owner
        offset = [Fraction(0)] * n
        for t in terms:
            self._term(t, edge_owner, edge_src, edge_par, linear, offset)
        owners = np.concatenate(edge_owner) if edge_owner else np.zeros(0, np.int64)
        has_edges = np.zeros(n, bool)
        has_edges[owners] = True
        if not has_edges.any() and not any(linear):
            return Ref("const", np.array([float(q) for q in offset]).reshape(shape))
        neuron_of = np.full(n, -1, np.int64)
        for o in np.flatnonzero(has_edges).tolist():
            neuron_of[o] = self.neuron()
        if edge_owner:
            self._edges(np.concatenate(edge_src), neuron_of[owners], np.concatenate(edge_par))
        out = np.empty(n, np.int64)
        for o in range(n):
            out[o] = self._owner(neuron_of[o], linear[o], offset[o])
        fresh = bool(has_edges.all()) and not any(linear) and not any(offset)
        return Ref("node", out.reshape(shape), fresh)

    def _owner(self, neuron: int, linear: list, offset: Fraction) -> int:
        args: dict[int, Fraction] = {}
        for j, c in ([(neuron, Fraction(1))] if neuron >= 0 else []) + linear:
            args[j] = args.get(j, Fraction(0)) + c
        args = {j: c for j, c in args.items() if c != 0}
        if not offset and len(args) == 1 and next(iter(args.values())) == 1:
            return next(iter(args))
        return self.function("s", Affine(tuple(args.values()), offset), tuple(args))

    def _term(self, t: Term, edge_owner, edge_src, edge_par, linear, offset) -> None:
        owner, coef, factors = self._fold(t)
        if len(factors) == 2 and factors[0][0] == "param":
            factors.reverse()                                   # the value first, a parameter second
        if len(factors) == 2 and factors[0][0] == "param":      # two parameters: the first as a value
            factors[0] = ("node", self.nodes(Ref("param", factors[0][1])))
        kinds = tuple(kind for kind, _ in factors)
        ids = [i for _, i in factors]
        unit = np.array([c == 1 for c in coef], bool)
        if kinds in (("node", "param"), ("param",)):
            source = ids[0] if len(ids) == 2 else np.full(len(coef), self.b.bias_node, np.int64)
            edge_owner.append(owner[unit])                    # w * value (or w * 1): an edge
            edge_src.append(source[unit])
            edge_par.append(ids[-1][unit])
            if not unit.all():                                  # a scaled edge: its own neuron, then the scale
                units = np.array([self.neuron() for _ in range(int((~unit).sum()))], np.int64)
                self._edges(source[~unit], units, ids[-1][~unit])
                self._linear(linear, owner[~unit], units, coef[~unit])
        elif kinds == ("node", "node"):
            products = [self.function("m", Product(), (i, j)) for i, j in zip(ids[0].tolist(), ids[1].tolist())]
            self._linear(linear, owner, products, coef)
        elif kinds == ("node",):
            self._linear(linear, owner, ids[0], coef)
        else:
            for o, c in zip(owner.tolist(), coef.tolist()):
                offset[o] += c

    def _fold(self, t: Term) -> tuple[np.ndarray, np.ndarray, list]:
        """A term's owners, coefficients (constant factors folded in, exactly) and
        other factors ``(kind, ids)``, for the terms whose coefficient is not 0."""
        coef, factors = np.full(len(t.owner), Fraction(t.coef), object), []
        for ref, idx, invert in ((t.x, t.xi, False), (t.y, t.yi, t.invert)):
            if ref is None:
                continue
            picked = ref.a.ravel()[idx]
            if ref.kind == "const":
                values = [Fraction(v) for v in picked.tolist()]
                if invert and 0 in values:
                    raise SymgradError("a division by zero")
                coef = coef * np.array([1 / v if invert else v for v in values] + [None], object)[:-1]
            elif invert:
                raise SymgradError("a division by a value that is not a known constant (the scalar network "
                                   "divides by constants only)")
            else:
                factors.append(("param", picked) if ref.kind == "param" else ("node", self.nodes(ref.at(picked))))
        keep = np.array([c != 0 for c in coef], bool)
        return t.owner[keep], coef[keep], [(kind, ids[keep]) for kind, ids in factors]

    @staticmethod
    def _linear(linear, owners, nodes, coefs) -> None:
        for o, j, c in zip(np.asarray(owners).tolist(), np.asarray(nodes).tolist(), list(coefs)):
            linear[o].append((j, c))

    # --- elementwise functions and softmax -------------------------------------------
    def activation(self, ref: Ref, act, alone: bool) -> Ref:
        """``act`` applied elementwise: set on the neurons themselves when they are
        fresh and read by nothing else (``alone``), else an ``Apply`` node each."""
        if ref.fresh and alone:
            for j in ref.a.ravel().tolist():
                self.b.replace(j, replace(self.b.nodes[j], activation=act))
            return Ref("node", ref.a)
        ids = [self.function("h", Apply(activation=act), (j,)) for j in self.nodes(ref).ravel().tolist()]
        return Ref("node", np.array(ids, np.int64).reshape(ref.shape))

    def softmax_rows(self, rows: np.ndarray) -> np.ndarray:
        """``Softmax`` nodes over each row of node ids (last axis)."""
        flat = rows.reshape(-1, rows.shape[-1])
        out = np.empty_like(flat)
        for r, row in enumerate(flat.tolist()):
            first = self.b.node_count
            probs = list(range(first, first + len(row)))
            out[r] = [self.function("p", Softmax(index=k), row, uses=probs) for k in range(len(row))]
        return out.reshape(rows.shape)

    # --- the network ---------------------------------------------------------------
    def build(self, outputs: list[int]):
        """The network whose objective is the sum of ``outputs`` (or the one output); the parameter elements on an edge become its parameters, in
        the model's order, weights then biases (paths ending in ``bias``)."""
        objective = outputs[0] if len(outputs) == 1 else self.function("s", Total(), outputs)
        if self.b.nodes[objective].kind == INPUT:
            raise SymgradError("the objective is an input of the model: there is nothing to differentiate")
        self._rename_objective(objective)
        src, tgt, par = (np.concatenate(e) if e else np.zeros(0, np.int64) for e in self.edges)
        used = np.unique(par)
        is_bias = np.array([self.path_of(p).endswith("bias") for p in used.tolist()], bool)
        self.used = np.concatenate([used[~is_bias], used[is_bias]])
        weights = int((~is_bias).sum())
        refs = [self.b.weight() for _ in range(weights)] + [self.b.bias() for _ in range(len(used) - weights)]
        lookup = dict(zip(self.used.tolist(), refs))
        names = [self._element_name(p) for p in self.used.tolist()]
        self.b.rename(weights=names[:weights], biases=names[weights:])
        self.b.connect_many(src, tgt, [lookup[p] for p in par.tolist()])
        return self.b.build(objective=objective)

    def path_of(self, p: int) -> str:
        starts = [self.offsets[q] for q in self.shapes]
        return list(self.shapes)[int(np.searchsorted(starts, p, side="right")) - 1]

    def _element_name(self, p: int) -> str:
        path = self.path_of(p)
        shape = self.shapes[path]
        index = tuple(int(i) for i in np.unravel_index(p - self.offsets[path], shape)) if shape else ()
        try:
            return check_name(parameter_name(path, index, shape))
        except SymgradError:
            return f"w{p + 1}"

    def _rename_objective(self, j: int) -> None:
        taken = {str(n.symbol) for n in self.b.nodes} | {str(t) for t in self.b.targets}
        if "L" not in taken and self.b.nodes[j].kind == FUNCTION:
            self.b.replace(j, replace(self.b.nodes[j], symbol=sp.Symbol("L")))
