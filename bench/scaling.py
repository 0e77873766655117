"""Scaling of the two engines on MLPs under constant initialisation: the
structural engine from 10^3 to 10^7 weights, the algebraic one from 10^2 to
10^5 at its default size limit.  Every row runs in a fresh process (peak
memory of its own): seconds to build the network, seconds to prove its ties
(the ``sg.prove`` call, warm imports), peak resident memory.

``python -m bench scaling`` runs these tables; ``python -m bench.scaling NAME`` one row.
"""
from __future__ import annotations

import os
import sys
import time

from .common import in_child, peak_gb, report, row

LIMIT = float(os.environ.get("SYMGRAD_BENCH_ROW_LIMIT", "600"))   # seconds per row
STRUCTURAL = ["32-32-1", "100-100-1", "316-316-1", "1000-1000-1", "3163-3163-1"]
ALGEBRAIC = ["tanh 10-10-1", "tanh 32-32-1", "tanh 100-100-1", "tanh 316-316-1", "identity 316-316-1"]
WIDTHS = (20, 11, 9, 9, 8, 8)


def _network(name: str):
    import symgrad as sg
    activation, _, sizes = name.rpartition(" ")
    return sg.Network.mlp([int(s) for s in sizes.split("-")], activation=activation or "identity")


def child(name: str) -> None:
    """Build and prove one row in this (fresh) process; print its measurements as JSON."""
    import symgrad as sg
    engine = "algebraic" if name in ALGEBRAIC else "structural"
    sg.prove(sg.examples.toy(), sg.Constant("a"), engine=engine)       # imports and caches out of the timing
    start = time.perf_counter()
    net = _network(name)
    built = time.perf_counter()
    proof = sg.prove(net, sg.Constant("a"), engine=engine)
    done = time.perf_counter()
    report(weights=net.weight_count, build=built - start, prove=done - built, peak=peak_gb(),
           classes=len(proof.invariant_classes))


def table(title: str, names: list[str]) -> None:
    print(title)
    print(row("network", "weights", "build s", "prove s", "peak GB", "classes", widths=WIDTHS))
    for name in names:
        r = in_child("bench.scaling", name, LIMIT)
        if r is None or "error" in r:
            why = f">{LIMIT:.0f} s" if r is None else r["error"][:80]
            print(row(name, "-", "-", "-", "-", "-", widths=WIDTHS), why, flush=True)
        else:
            print(row(name, f"{r['weights']:,}", f"{r['build']:.3f}", f"{r['prove']:.3f}", f"{r['peak']:.2f}",
                      f"{r['classes']:,}", widths=WIDTHS), flush=True)


def main() -> None:
    table("Structural engine scaling (constant init; fresh process per row)", STRUCTURAL)
    print()
    table("Algebraic engine scaling (constant init, default size limit; fresh process per row)", ALGEBRAIC)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child(" ".join(sys.argv[1:]))
    else:
        main()
