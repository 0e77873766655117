"""The ``symgrad`` command: examples, derivations, proofs and reports.

Every command prints readable mathematics, or one JSON object with
``--json``.  Bad input gives one error line per problem and exit status 2;
see ``EXIT_STATUS`` for the others.
"""
from __future__ import annotations

import argparse
import difflib
import os
import re
import signal
import sys
from contextlib import nullcontext
from pathlib import Path

from . import __version__
from .base import interrupts
from .base.errors import DescriptionError, NoTeX, SymgradError, TeXError, TimeLimit
from .commands import COMMANDS, show_progress


EPILOG = """examples:
  symgrad examples
  symgrad derive toy
  symgrad derive toy --json
  symgrad derive --mlp 3,4,1 --activation tanh --bias
  symgrad derive mynet.toml
  symgrad prove examples/toy.toml --init constant --json
  symgrad prove toy --init constant
  symgrad prove toy --init zero --json
  symgrad prove --mlp 4,8,8,1 --activation tanh --bias --init constant:1/2 --engine structural
  symgrad prove toy --init tied:w1=w2,w5=w6
  symgrad prove softmax_ce --classes 1,2,3
  symgrad report toy -o reports/toy.pdf
  symgrad report toy --init zero -o toy-zero.tex
  symgrad report examples/models/zero_gated_mlp.py:factory -o lint.pdf
  symgrad report --mlp 2,3,1 --activation tanh --init constant --steps 1 -o mlp.pdf
  symgrad prove --mlp 200,200,1 --engine structural --timeout 60
  symgrad prove examples/models/copied_heads.py:factory
  symgrad report examples/models/copied_heads.py:factory --scalar -o heads.pdf

exit status: 0 done, 1 LaTeX failed, 2 bad input, 3 no TeX (wrote the .tex),
4 time limit reached, 5 could not write the output, 130 interrupted (Ctrl-C),
141 output pipe closed, 143 terminated (SIGTERM)
"""


TEX_FAILED, BAD_INPUT, NO_TEX, OUT_OF_TIME, CANNOT_WRITE, PIPE_CLOSED = 1, 2, 3, 4, 5, 141


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str):
        wrong = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if wrong:
            choices = re.findall(r"'([^']*)'", wrong.group(2))
            close = difflib.get_close_matches(wrong.group(1), choices, n=1)
            if close:
                message += f"; did you mean {close[0]}?"
        raise SymgradError(message)


def network_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("net", nargs="?", metavar="NET",
                   help="a built-in example (see `symgrad examples`), a description file (.toml or .json), "
                        "or a small PyTorch model as FILE.py:FACTORY (converted to a scalar network)")
    p.add_argument("--mlp", metavar="SIZES", help="a fully connected network, units per layer, e.g. 3,4,1")
    p.add_argument("--activation", default=None,
                   help="with --mlp: the hidden activation, identity (default), relu, relu:1/2, sigmoid, tanh, sigma")
    p.add_argument("--bias", action="store_true", default=None, help="with --mlp: give every neuron a bias")
    p.add_argument("--objective", default=None,
                   help="with --mlp: output (default), squared_error, cross_entropy or perceptron")
    p.add_argument("--spec", metavar="FILE", help="a description file (the same as giving it as NET)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--max-size", type=int, default=None, metavar="N",
                   help="the algebraic engine's size limit, (edges + neurons) x samples (default 50000)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="give up after SECONDS")


def build_parser() -> Parser:
    parser = Parser(prog="symgrad", description="Exact, symbolic proofs about neural-network gradients.",
                    epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"symgrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    ex = sub.add_parser("examples", help="list the built-in examples")
    ex.add_argument("--json", action="store_true", help="print one JSON object")
    d = sub.add_parser("derive", help="derive every gradient exactly", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    network_options(d)
    p = sub.add_parser("prove", help="prove which gradients coincide and which ties last", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    network_options(p)
    proof_options(p)
    r = sub.add_parser("report", help="write a LaTeX/PDF proof report", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    network_options(r)
    proof_options(r)
    r.add_argument("-o", "--output", required=True, metavar="FILE", help="FILE.pdf or FILE.tex")
    r.add_argument("--steps", type=int, default=0, metavar="K", help="show K unrolled steps of gradient descent")
    r.add_argument("--scalar", action="store_true",
                   help="with FILE.py:FACTORY: the proof report of the model as a scalar network (small models), "
                        "instead of the lint report")
    lint = sub.add_parser("lint", help="prove which parameters of a PyTorch model stay tied forever or never move",
                          epilog=LINT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    lint.add_argument("target", metavar="FILE.py:FACTORY",
                      help="a Python file and a function in it returning (model, inputs[, loss, targets]) "
                           "(FACTORY defaults to factory)")
    lint.add_argument("--init", action="append", default=None, metavar="PATTERN=SPEC",
                      help="state how parameters start instead of reading them (repeatable; the first match "
                           "decides): PATTERN a path with wildcards or a module prefix (blocks.1-11), SPEC a "
                           "number, random, values or 'copy of PATH'; a model on the meta device starts random")
    lint.add_argument("--json", action="store_true", help="print one JSON object")
    lint.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="give up after SECONDS")
    return parser


LINT_EPILOG = """examples:
  symgrad lint examples/models/lora_b_zero.py:factory
  symgrad lint examples/models/zero_gated_mlp.py:factory --json
  symgrad lint model.py:factory --init '*.lora_B.weight=0' --init 'blocks.1-11=copy of blocks.0'

exit status: 0 nothing found, 1 findings (tied or frozen parameters), 2 bad input
(an unsupported operation is named with its module path), 5 could not write the
output, 130 interrupted. The factory is your own code and runs as it is.
"""


def proof_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--init", default=None, help="constant[:VALUE] (default for --mlp), zero, distinct, "
                   "tied:w1=w2,w3=w4 or layers:a,b,c; an example has its own default (for the lint report "
                   "of FILE.py:FACTORY: PATTERN=SPEC rules separated by ';', as symgrad lint --init)")
    p.add_argument("--bias-init", default=None, help="the biases' initialisation (default zero)")
    p.add_argument("--engine", default="algebraic", choices=["algebraic", "structural"], help="proof engine")
    p.add_argument("--samples", type=int, default=None, metavar="N", help="sum the gradient over N samples")
    p.add_argument("--classes", default=None, metavar="C1,C2,...", help="one sample per class, one-hot targets")
    p.add_argument("--full", action="store_true",
                   help="list every class even for a large network (by default, beyond 2,000 parameters, a summary)")


MAX_TIMEOUT = 7 * 24 * 3600


def run(args) -> str:
    """Run one parsed command, within its time limit, showing progress on a terminal."""
    from .base.limits import time_limit
    from .base.progress import listening

    if args.command != "examples" and args.timeout is not None and not 0 < args.timeout <= MAX_TIMEOUT:
        raise SymgradError(f"--timeout must be a positive number of seconds, at most {MAX_TIMEOUT:,} (a week), "
                           f"got {args.timeout:g}")
    watching = listening(show_progress) if sys.stderr.isatty() else nullcontext()
    with watching, time_limit(getattr(args, "timeout", None)):
        return COMMANDS[args.command](args)


def one_line(message: str) -> str:
    """``message`` with control characters (a newline in a user's input) shown
    escaped, and, in a line too long to read, long values elided (argparse
    echoes an argument in full); a line of readable length is kept whole (a
    long path in it included).

    >>> one_line("unrecognized arguments: \\n")
    'unrecognized arguments: \\\\n'
    >>> len(one_line("invalid int value: '" + "9" * 100_000 + "'")) < 100
    True
    """
    from .base.schema import MAX_LINE, elide   # deferred: it needs SymPy, and --help does not

    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return elide(line) if len(line) > MAX_LINE else line


SYMPY_CACHE_SIZE = "200000"  # SymPy's default 1,000 entries slow large derivations several times


def main(argv=None) -> int:
    """Run the command line; returns the exit status (128 + the signal's
    number if SIGINT or SIGTERM arrived at any time, even if the work ended)."""
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    interrupts.install()
    if "sympy" not in sys.modules:   # read once, when SymPy is first imported (this process only)
        os.environ.setdefault("SYMPY_CACHE_SIZE", SYMPY_CACHE_SIZE)
    try:
        status = run_command(argv)
        signum = interrupts.received()
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if signum is None:
        return status
    print("symgrad: interrupted", file=sys.stderr)
    return interrupts.exit_status(signum)


def outcome(result) -> tuple[str, int]:
    """A command's text and exit status (a command that returns only text is done: 0)."""
    return result if isinstance(result, tuple) else (result, 0)


def run_command(argv) -> int:
    """Parse and run one command; returns its exit status."""
    args = None
    try:
        args = build_parser().parse_args(argv)
        interrupts.checkpoint("reading")
        if sys.stdout is None:   # started with its standard output closed (>&-)
            raise OSError("standard output is closed")
        result, status = outcome(run(args))
        interrupts.checkpoint()
        if isinstance(result, str):
            print(result)
        else:                    # pieces of a large answer, written as they are made
            sys.stdout.writelines(result)
            print()
        sys.stdout.flush()
        return status
    except DescriptionError as error:
        for line in error.lines:
            print(f"symgrad: error: {one_line(line)}", file=sys.stderr)
        return BAD_INPUT
    except SymgradError as error:
        print(f"symgrad: error: {one_line(str(error))}", file=sys.stderr)
        return BAD_INPUT
    except RecursionError:
        print("symgrad: error: the expressions are nested too deeply for the algebraic engine; "
              "use --engine structural", file=sys.stderr)
        return BAD_INPUT
    except TimeLimit as error:
        print(f"symgrad: error: {error} (--timeout {args.timeout:g}); a larger network may need "
              "--engine structural", file=sys.stderr)
        return OUT_OF_TIME
    except NoTeX:
        tex = Path(args.output).with_suffix(".tex")
        print(f"symgrad: no TeX engine found: wrote {tex}; for the PDF install TeX (sh scripts/install-tex.sh, "
              f"or apt-get install latexmk texlive-latex-recommended texlive-pictures) and run again", file=sys.stderr)
        return NO_TEX
    except TeXError as error:
        print(f"symgrad: error: {error}", file=sys.stderr)
        return TEX_FAILED
    except BrokenPipeError:   # the reader went away (symgrad ... | head): nothing more to say
        silence_stdout()
        return PIPE_CLOSED
    except OSError as error:  # a full disk, a read-only folder, a path under a file, a closed stdout
        print(f"symgrad: error: could not write the output: {one_line(os_reason(error))}", file=sys.stderr)
        silence_stdout()                                 # nothing more to flush at exit
        return CANNOT_WRITE


def silence_stdout() -> None:
    """Point the standard output at /dev/null, where it is a real file descriptor
    (a closed pipe or a full disk must not fail again when Python flushes at exit)."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):   # no stdout, or one with no descriptor (io.UnsupportedOperation)
        pass


def os_reason(error: OSError) -> str:
    """An OSError as one short line: the reason, then the file it is about.

    >>> os_reason(OSError(28, "No space left on device", "/tmp/x.pdf"))
    'No space left on device: /tmp/x.pdf'
    """
    reason = error.strerror or str(error)
    return f"{reason}: {error.filename}" if error.filename else reason


if __name__ == "__main__":
    sys.exit(main())
