"""Output operations: nodes that apply a function to several other nodes.

Each operation gives its value and its local partial derivatives, written
once against a maths backend (``symgrad.maths.backends``).  ``args`` are the nodes
differentiated through; ``uses`` are nodes whose values the formulas quote
(softmax probabilities inside the cross-entropy's slope ``y_k - t_k``).

>>> import sympy as sp
>>> from symgrad.maths.backends import SYMBOLIC
>>> a1, a2, y1, y2, t1, t2 = sp.symbols("a1 a2 y1 y2 t1 t2")
>>> CrossEntropy().partials((a1, a2), (y1, y2), None, (t1, t2), SYMBOLIC)
(-t1 + y1*(t1 + t2), -t2 + y2*(t1 + t2))
>>> CrossEntropy().partials((a1, a2), (y1, y2), None, (1, 0), SYMBOLIC)
(y1 - 1, y2)
>>> Product().value((a1, a2), (), (), SYMBOLIC), Affine((Fraction(1, 2), Fraction(-1)), 3).value((a1, a2), (), (), SYMBOLIC)
(a1*a2, a1/2 - a2 + 3)
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Op:
    """A function node's operation (abstract)."""

    name = "op"
    rational = True    # maps rationals to rationals exactly
    polynomial = True  # its value and partials are polynomials
    symmetric = False  # a function of its arguments' sum (unchanged when they are permuted)

    def value(self, args, uses, targets, m):
        raise NotImplementedError

    def partials(self, args, uses, own, targets, m):
        raise NotImplementedError

    def role(self, index: int):
        """A label telling apart arguments the operation treats differently."""
        return self.name

    @property
    def key(self):
        """What tells two nodes of this operation apart, beyond their arguments' roles."""
        return (self.name, getattr(self, "activation", None))


def _key(value):
    """A hashable stand-in for a value of any backend (intervals hash by their ends)."""
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


@dataclass(frozen=True, slots=True)
class Softmax(Op):
    """``y_j = exp(a_j) / sum_k exp(a_k)`` over the logits ``args``; ``uses`` are
    all the softmax outputs of the group, so ``dy_j/da_k = y_j (delta_jk - y_k)``."""

    index: int = 0
    name = "softmax"
    rational = False
    polynomial = False

    def value(self, args, uses, targets, m):
        own = args[self.index]
        if len(set(map(_key, args))) < len(args):  # equal logits: shift so that they cancel exactly
            return m.one / m.total([m.exp(a - own) for a in args])
        return m.exp(own) / m.total([m.exp(a) for a in args])

    def partials(self, args, uses, own, targets, m):
        return tuple(own * ((m.one if k == self.index else m.zero) - uses[k]) for k in range(len(args)))

    def role(self, index: int):
        return "self" if index == self.index else "other"


@dataclass(frozen=True, slots=True)
class CrossEntropy(Op):
    """``L = -sum_k t_k log y_k`` with ``y = softmax(args)`` (``uses``), so
    ``dL/da_k = (sum_j t_j) y_k - t_k`` for any targets: ``y_k - t_k`` exactly
    when the targets sum to 1 (one-hot), ``0`` when they are all 0."""

    name = "cross_entropy"
    rational = False
    polynomial = False

    def value(self, args, uses, targets, m):
        return -m.total([t * m.log(y) for t, y in zip(targets, uses)])

    def partials(self, args, uses, own, targets, m):
        mass = m.total(list(targets))
        return tuple(mass * y - t for y, t in zip(uses, targets))


@dataclass(frozen=True, slots=True)
class SquaredError(Op):
    """``L = 1/2 sum_k (y_k - t_k)**2``, so ``dL/dy_k = y_k - t_k``."""

    name = "squared_error"

    def value(self, args, uses, targets, m):
        return m.total([(y - t) ** 2 for y, t in zip(args, targets)]) / 2

    def partials(self, args, uses, own, targets, m):
        return tuple(y - t for y, t in zip(args, targets))


@dataclass(frozen=True, slots=True)
class Total(Op):
    """``L = sum_k y_k``: the objective is the output itself."""

    name = "output"
    symmetric = True

    def value(self, args, uses, targets, m):
        return m.total(list(args))

    def partials(self, args, uses, own, targets, m):
        return tuple(m.one for _ in args)


@dataclass(frozen=True, slots=True)
class PerceptronCriterion(Op):
    """``L = (phi(z) - t) z`` with the decision ``phi(z)`` held constant
    (``uses``), so ``dL/dz = phi(z) - t`` and gradient descent on ``L`` is the
    perceptron rule ``w <- w + eta (t - phi(z)) x``."""

    name = "perceptron"

    def value(self, args, uses, targets, m):
        return (uses[0] - targets[0]) * args[0]

    def partials(self, args, uses, own, targets, m):
        return (uses[0] - targets[0],)


@dataclass(frozen=True, slots=True)
class Apply(Op):
    """``y = f(a)`` for one argument and an activation ``f`` with no weight in
    between: the perceptron's prediction ``phi(z)``."""

    activation: object = None
    name = "apply"

    @property
    def rational(self) -> bool:
        return self.activation.rational

    @property
    def polynomial(self) -> bool:
        return self.activation.polynomial

    def value(self, args, uses, targets, m):
        return self.activation.value(args[0], m)

    def partials(self, args, uses, own, targets, m):
        return (self.activation.slope(args[0], own, m),)


@dataclass(frozen=True, slots=True)
class Product(Op):
    """``y = a * b``: the product of two values (attention's query-key and
    probability-value products, gates).  Its partials are the other factor."""

    name = "product"

    def value(self, args, uses, targets, m):
        return args[0] * args[1]

    def partials(self, args, uses, own, targets, m):
        return (args[1], args[0])

    def role(self, index: int):
        return "factor"


def _number(m, q: Fraction):
    return m.one if q == 1 else m.zero if q == 0 else m.number(q)


@dataclass(frozen=True, slots=True)
class Affine(Op):
    """``y = offset + sum_k c_k a_k`` with fixed rational coefficients: a
    residual sum, a mean, a scale such as attention's ``1/sqrt(d)``, a constant
    added.  A coefficient tells its argument apart (its role)."""

    coefficients: tuple[Fraction, ...] = ()
    offset: Fraction = Fraction(0)
    name = "affine"

    @property
    def symmetric(self) -> bool:
        return len(set(self.coefficients)) <= 1

    def value(self, args, uses, targets, m):
        terms = [a if c == 1 else _number(m, c) * a for c, a in zip(self.coefficients, args) if c != 0]
        if self.offset or not terms:
            terms.append(_number(m, self.offset))
        return m.total(terms)

    def partials(self, args, uses, own, targets, m):
        return tuple(_number(m, c) for c in self.coefficients)

    def role(self, index: int):
        return ("coefficient", self.coefficients[index])

    @property
    def key(self):
        return (self.name, self.offset)
