"""``python -m bench`` (or ``make bench``): every benchmark, one run."""
import os
import sys

os.environ.setdefault("SYMPY_CACHE_SIZE", "200000")

from . import derive, lint, prove, scaling  # noqa: E402

SUITES = {"derive": derive.main, "prove": prove.main, "scaling": scaling.main, "lint": lint.main}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SUITES)
    for name in chosen:
        SUITES[name]()
        print()
