"""Timing helpers shared by the benchmarks."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable

import sympy as sp
from sympy.core.cache import clear_cache

import symgrad as sg


def timed(work: Callable[[], object]) -> tuple[float, object]:
    """Seconds taken by ``work()`` on a cold SymPy cache, and its result."""
    clear_cache()
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def square_mlp(width: int, depth: int = 2) -> list[int]:
    """Sizes ``[width]*(depth+1) + [1]``: width inputs, depth hidden layers, one output."""
    return [width] * (depth + 1) + [1]


def nested_output(net: sg.Network) -> sp.Expr:
    """The objective of a linear MLP as one nested SymPy expression, built
    the way one writes it by hand (the naive route's starting point)."""
    value = {j: net.nodes[j].symbol for j in net.input_nodes}
    for j in net.neurons:
        value[j] = sp.Add(*[net.parameters[net.edge_param[e]] * value[net.edge_source[e]] for e in net.in_edges[j]])
    return value[net.objective]


def row(*cells, widths=(12, 10, 12, 12, 10)) -> str:
    return "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths))


def seconds(s: float | None) -> str:
    return "skipped" if s is None else f"{s:.3f}"


def ratio(naive: float | None, ours: float) -> str:
    return "-" if naive is None else f"{naive / ours:.0f}x"


def peak_gb() -> float:
    """The peak resident memory of this process so far, in GB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def report(**measured) -> None:
    """Print a child's measurements as the JSON line ``in_child`` reads."""
    print(json.dumps(measured), flush=True)


def in_child(module: str, name: str, limit: float) -> dict | None:
    """Run ``python -m MODULE NAME`` in a fresh process (so that its peak memory is its
    own) and return the JSON of its last line; None past ``limit`` seconds, or
    ``{"error": line}`` when it fails."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run([sys.executable, "-m", module, name], cwd=here, capture_output=True, text=True,
                             timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])
