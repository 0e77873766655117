"""``symgrad lint FILE.py:FACTORY [--json]``: lint a model built by a factory function.

FACTORY() returns (model, inputs) or (model, inputs, loss, targets).
Exit status: 0 nothing found, 1 findings (ties or frozen parameters),
2 bad input.
"""

import importlib.util
import json
import os
import sys

from ..base.errors import SymgradError
from .lint import lint


def add_parser(subparsers):
    """Register the ``lint`` subcommand on an argparse subparsers object."""
    p = subparsers.add_parser(
        "lint", help="prove which weights of a PyTorch model stay tied forever or never move",
        description=__doc__.split("\n\n")[0])
    p.add_argument("target", metavar="FILE.py:FACTORY",
                   help="a Python file and a function in it returning (model, inputs[, loss, targets]); "
                        "FACTORY defaults to 'factory'")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


def load_factory(target):
    """Import FILE.py from its path and return its FACTORY function."""
    path, _, name = target.rpartition(":") if ":" in target else (target, "", "factory")
    if not path or path.endswith(os.sep):
        path, name = target, "factory"
    if not os.path.isfile(path):
        raise SymgradError(f"no such file: {path!r}")
    modname = "_symgrad_lint_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise SymgradError(f"importing {path!r} failed: {type(e).__name__}: {e}") from None
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
    fn = getattr(module, name or "factory", None)
    if not callable(fn):
        raise SymgradError(f"{path!r} has no function {name or 'factory'!r}")
    return fn


def build(target):
    """Call the factory: (model, inputs, loss, targets)."""
    fn = load_factory(target)
    try:
        made = fn()
    except Exception as e:
        raise SymgradError(f"{target}: the factory raised {type(e).__name__}: {e}") from None
    if not isinstance(made, tuple) or len(made) not in (2, 4):
        raise SymgradError(f"{target}: the factory must return (model, inputs) or "
                           f"(model, inputs, loss, targets), got {type(made).__name__}")
    return made if len(made) == 4 else made + (None, None)


def run(args):
    """Run the command: (text or JSON string, exit status)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return "symgrad lint: needs torch (pip install 'symgrad[torch]')", 2
    try:
        model, inputs, loss, targets = build(args.target)
        result = lint(model, inputs, loss, targets, name=args.target)
    except SymgradError as e:
        if getattr(args, "json", False):
            return json.dumps({"model": args.target, "error": str(e)}, indent=2), 2
        return f"symgrad lint: {e}", 2
    status = 0 if result.ok else 1
    if getattr(args, "json", False):
        return json.dumps(result.to_json(), indent=2), status
    return str(result), status
