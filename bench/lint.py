"""Scaling of the tensor-level lint: parameters from 10^5 to 1.2x10^8 (MLPs of growing
width, a small and a GPT-2-small transformer, ResNet-50), seconds and peak memory; and
Llama-shaped models on the meta device (no storage; starts stated: RMSNorm gains 1,
every weight random) up to 7B parameters, analysed by rows and columns.

Every row runs in a fresh subprocess (peak RSS from getrusage, import and capture
included) with a time limit; ``python -m bench lint`` runs only this table and
``python -m bench.lint NAME`` one row.
"""
from __future__ import annotations

import os
import sys
import time

from .common import in_child, peak_gb, report, row

LIMIT = float(os.environ.get("SYMGRAD_BENCH_LINT_LIMIT", "900"))   # seconds per row

CASES = {
    "mlp 784-128-10": ("mlp_case", {"sizes": [784, 128, 10]}),
    "mlp 784-256-256-10": ("mlp_case", {"sizes": [784, 256, 256, 10]}),
    "mlp 1024x3-10": ("mlp_case", {"sizes": [1024, 1024, 1024, 1024, 10]}),
    "mlp 2048x3-10": ("mlp_case", {"sizes": [2048, 2048, 2048, 2048, 10]}),
    "transformer 2x128": ("gpt_case", {"vocab": 2000, "width": 128, "layers": 2, "heads": 4,
                                       "batch": 2, "tokens": 16}),
    "resnet-50 64x64": ("resnet50_case", {"images": 2, "size": 64}),
    "gpt-2 small": ("gpt2_small_case", {"batch": 2, "tokens": 32}),
    "llama 1B meta": ("llama_meta_case", {"batch": 1, "tokens": 32, "layers": 16, "width": 2048,
                                          "heads": 16, "hidden": 5632}),
    "llama 7B meta": ("llama_meta_case", {"batch": 1, "tokens": 32}),
}
ON_REQUEST = {   # rows too long for every run: ``python -m bench.lint NAME``
    "resnet-50 224x224": ("resnet50_case", {"images": 2, "size": 224}),
    "llama 7B meta, 64 tokens": ("llama_meta_case", {"batch": 1, "tokens": 64}),
}
WIDTHS = (20, 12, 9, 9, 6, 9)


def child(name: str) -> None:
    """Lint one case in this (fresh) process and print its measurements as JSON."""
    t0 = time.perf_counter()
    from symgrad.tensor import lint
    from . import models
    factory, kw = {**CASES, **ON_REQUEST}[name]
    model, inputs, loss, targets = getattr(models, factory)(**kw)
    init = list(models.LLAMA_STARTS) if factory == "llama_meta_case" else None
    start = time.perf_counter()
    result = lint(model, inputs, loss, targets, init=init)
    seconds = time.perf_counter() - start
    report(params=models.parameters(model), seconds=seconds, peak=peak_gb(), rounds=result.rounds,
           findings=len(result.findings), total=time.perf_counter() - t0)


def main(names=None) -> None:
    print("Tensor lint scaling (fresh process per row; seconds = lint() incl. capture and "
          "evidence; peak = max RSS of the process)")
    print(row("model", "parameters", "seconds", "peak GB", "rounds", "findings", widths=WIDTHS))
    for name in names or CASES:
        r = in_child("bench.lint", name, LIMIT)
        if r is None:
            print(row(name, "-", f">{LIMIT:.0f}", "-", "-", "-", widths=WIDTHS), flush=True)
        elif "error" in r:
            print(row(name, "-", "error", "-", "-", "-", widths=WIDTHS), r["error"][:80], flush=True)
        else:
            print(row(name, f"{r['params']:,}", f"{r['seconds']:.1f}", f"{r['peak']:.2f}",
                      r["rounds"], r["findings"], widths=WIDTHS), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child(" ".join(sys.argv[1:]))
    else:
        main()
