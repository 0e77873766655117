"""Resource guards: how much the algebraic engine takes on, and for how long.

Every limit is a named number here, with what it guards; ``symgrad.model.size``
measures a network against them.  ``time_limit`` stops any work after a
wall-clock limit.

>>> MAX_STEPS
10
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from .errors import SymgradError, TimeLimit

ALGEBRAIC_LIMIT = 1_000_000  # edges and neurons times samples, weighted (10^5 tanh weights: about 5 s)
ALGEBRAIC_DEPTH = 40      # layers of neurons on the longest path (nested expressions grow with depth)
MAX_EDGES = 20_000_000    # networks symgrad builds at all (the structural engine: about 1.1 s a million edges, 1.7 GB at 10^7)
MAX_NODES = 200_000
SCALAR_MODEL_NODES = 20_000  # scalar nodes of an imported torch model (beyond, the algebraic engine is out of reach)
MAX_SAMPLES = 1_000       # samples in the data
MAX_SAMPLE_VALUES = 200_000  # samples times (inputs + targets): the values the data holds (about 1.5 s to make)
MAX_STEPS = 10            # unrolled symbolic steps (expressions grow fast with the steps)
MAX_TRACE_STEPS = 10_000  # numeric training steps
# Unrolled steps are bounded by their cost, not their count: the exact values
# grow several times per step (the toy example: 132, 824, 3,888, 16,736, 69,312
# nodes after steps 1-5; step 5 takes 9 s, step 6 would take 100 s).
# Expanded polynomials compare cheaply; nested non-polynomial values (tanh)
# need canonical forms for their ties (18 s for 112,720 nodes), so less of them.
UNROLL_FROM = {True: 20_000, False: 10_000}     # nodes from which one more exact step is still taken
UNROLL_NODES = {True: 120_000, False: 40_000}   # nodes of one step's values (ties and printing walk them all)


def expression_nodes(exprs, limit: int, seen: set | None = None) -> int:
    """The nodes of the expression trees ``exprs``, counted by a walk that
    stops after ``limit`` (then ``limit + 1`` is returned).  A value given
    twice counts twice, unless ``seen`` (the values counted already) is given.

    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> expression_nodes([x * y + 1, x * y + 1], 100), expression_nodes([x * y + 1, x * y + 1], 100, set())
    (10, 5)
    >>> expression_nodes([x * y + 1], 2)
    3
    """
    if seen is not None:
        exprs = [e for e in exprs if not (e in seen or seen.add(e))]
    count, stack = 0, list(exprs)
    while stack:
        count += 1
        if count > limit:
            break
        stack.extend(stack.pop().args)
    return count


STEP_NODES = 1_000    # nodes of one printed step of a gradient's chain (the explicit form of a deep net is exponential)
CHAIN_NODES = 3_000   # ... and of all the steps of one gradient's chain (a deep net has a step per layer)


def substituted_nodes(expr, replacements: dict, limit: int) -> int:
    """The nodes of ``expr.xreplace(replacements)``, counted without building
    it (an upper bound: SymPy may merge terms), no further than ``limit``.

    >>> import sympy as sp
    >>> x, y, z = sp.symbols("x y z")
    >>> substituted_nodes(x * y + 1, {x: y + z}, 100), len(list(sp.preorder_traversal((y + z) * y + 1)))
    (7, 7)
    """
    count, stack = 0, [expr]
    while stack and count <= limit:
        node = stack.pop()
        if node in replacements:
            stack.append(replacements[node])
            continue
        count += 1
        stack.extend(node.args)
    return count


class UnrollBudget:
    """The cost bound of unrolled steps: refuse a step that starts from more
    than ``UNROLL_FROM`` nodes (every parameter's value: each gradient is
    worked out on its own), or whose distinct values reach more than
    ``UNROLL_NODES`` (ties and printing take each distinct value once; counted
    as they are made, so the refusal comes at once); ``expanded``: the values
    are expanded polynomials.

    >>> import sympy as sp
    >>> budget = UnrollBudget(steps=3, expanded=True)
    >>> budget.start(1, [sp.Symbol("a")])
    >>> budget.add(sp.Add(*sp.symbols("x1:200000")))
    Traceback (most recent call last):
    ...
    symgrad.base.errors.SymgradError: unrolling 3 exact steps is too costly: at step 1 the expressions have more than 120,000 nodes (the limit for unrolled steps; they grow several times per step); ask for fewer steps
    """

    def __init__(self, steps: int, expanded: bool = True):
        self.steps, self.first, self.most = steps, UNROLL_FROM[bool(expanded)], UNROLL_NODES[bool(expanded)]

    def start(self, step: int, current) -> None:
        self.step, self.used, self.seen = step, 0, set()
        if step > 1 and expression_nodes(current, self.first) > self.first:
            self._refuse(f"after step {step - 1}", self.first)

    def add(self, value) -> None:
        self.used += expression_nodes([value], self.most - self.used, self.seen)
        if self.used > self.most:
            self._refuse(f"at step {self.step}", self.most)

    def _refuse(self, when: str, limit: int):
        fewer = f"at most {self.step - 1} step{'s' if self.step != 2 else ''}" if self.step > 1 else "fewer steps"
        raise SymgradError(f"unrolling {self.steps} exact step{'s' if self.steps != 1 else ''} is too costly: {when} the expressions have more "
                           f"than {limit:,} nodes (the limit for unrolled steps; they grow several times per step); "
                           f"ask for {fewer}")


NONLINEAR_COST = 4   # a non-polynomial activation (tanh, sigmoid, relu, softmax): canonical forms cost more
BIAS_COST = 2        # ... and biases inside their arguments double that again
KINK_COST = 16       # ... and every layer of kinks (relu) 16 times more: their sign cases multiply
PRODUCT_COST = 16    # a softmax over products of values (attention): 16 times the square of its positions
# Measured on a 2-core machine (prove, constant init): tanh 316-316-1 with biases (size 806,448) 4.7 s,
# sigmoid 316-316-1 (401,956) 4.8 s, tanh 10 layers of 100 (364,004) 3.9 s; relu 316-316-1 with biases
# 103 s (size 12,903,040 with its kinks); tanh 30-30-10 under cross-entropy (49,600 without the square
# of its classes) 3.9 s, 100-100-10 over 13 minutes (444,400 so); attention over 5 positions (3,500
# edges and neurons, size 140,000 without the square and the products) over 10 minutes.
REPORT_PARAMETERS = 2_000   # parameters a report shows, every one with its gradient (beyond: pages nobody reads)
STRUCTURAL_WORK = 200_000_000  # refinement rounds (up to one per layer of depth) times nodes and edges, plus ...
ROUND_COST = 20_000           # ... the fixed cost of a round, counted in nodes and edges (200,000,000: about 15 s)


def check_buildable(nodes: int, edges: int) -> None:
    """Refuse to build a network of more than ``MAX_NODES`` nodes or ``MAX_EDGES`` edges.

    >>> check_buildable(10**6, 10**6)
    Traceback (most recent call last):
    ...
    symgrad.base.errors.SymgradError: the network would have 1,000,000 nodes and 1,000,000 edges, more than symgrad builds (200,000 nodes, 20,000,000 edges)
    """
    if nodes > MAX_NODES or edges > MAX_EDGES:
        raise SymgradError(f"the network would have {nodes:,} nodes and {edges:,} edges, more than symgrad builds "
                           f"({MAX_NODES:,} nodes, {MAX_EDGES:,} edges)")


@contextmanager
def time_limit(seconds: float | None):
    """Raise ``TimeLimit`` in the block after ``seconds`` of wall-clock time
    (None: no limit).  Works in the main thread only (it uses SIGALRM).

    >>> with time_limit(5):
    ...     sum(range(10))
    45
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        raise SymgradError("a time limit works only in the main thread")

    message = f"stopped after {seconds:g} s"
    expired: list[bool] = []

    def expire(signum, frame):
        expired.append(True)
        raise TimeLimit(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except Exception:
        # a library's bare ``except:`` can turn the TimeLimit into another error (mpmath's interval
        # comparisons return NotImplemented, then ``>`` raises TypeError): the time limit is the cause
        if expired:
            raise TimeLimit(message) from None
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
