"""Ctrl-C and SIGTERM, honoured in every phase of the work.

``install()`` (the command line calls it first thing) turns SIGINT and
SIGTERM into ``Interrupted``, an exception that unwinds the work so that
temporary files are removed and no output is half-written.  A library with a
bare ``except:`` can swallow that exception, so the signal is also recorded:
``checkpoint(phase)``, called when a phase of the work begins (deriving,
proving, typesetting, compiling, writing), raises it again, and the command
line's exit status reports it even if the work ran to its end.

For tests, ``SYMGRAD_SIGNAL_AT=PHASE:SIGNAL`` (say ``compiling:SIGINT``)
makes symgrad send itself SIGNAL when it enters PHASE: an interrupt at an
exact place, with no timing involved.

>>> checkpoint("deriving")      # no signal received, no hook set: nothing happens
>>> exit_status(signal.SIGINT), exit_status(signal.SIGTERM)
(130, 143)
"""
from __future__ import annotations

import os
import signal

HOOK = "SYMGRAD_SIGNAL_AT"
PHASES = ("reading", "deriving", "proving", "typesetting", "compiling", "writing")

_received: list[int] = []


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(signum: int) -> int:
    """The shell's status for a process stopped by ``signum``: 128 + its number."""
    return 128 + int(signum)


def _handle(signum, frame):
    _received.append(signum)
    if len(_received) == 1:   # a second Ctrl-C must not interrupt the clean-up of the first
        raise Interrupted(signum)


def install() -> None:
    """Turn SIGINT and SIGTERM into ``Interrupted`` (main thread only)."""
    _received.clear()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _handle)


def received() -> int | None:
    """The first signal that arrived since ``install()``, or None."""
    return _received[0] if _received else None


def checkpoint(phase: str | None = None) -> None:
    """Entering ``phase``: raise ``Interrupted`` for a signal that arrived
    earlier (even if some library swallowed its exception), and fire the
    test hook ``SYMGRAD_SIGNAL_AT`` when it names this phase."""
    hook = os.environ.get(HOOK)
    if phase is not None and hook:
        where, _, name = hook.partition(":")
        if where == phase:
            os.kill(os.getpid(), getattr(signal, name or "SIGINT"))
    if _received:
        raise Interrupted(_received[0])
