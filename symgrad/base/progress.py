"""Progress of long work, for a person watching.

Engines call ``note(message)`` at each stage; nothing is shown unless a
listener is installed, as the command line does when its error stream is a
terminal.  Data still flows one way: the engines never read anything back.

>>> seen = []
>>> with listening(seen.append):
...     note("refining ties: round 2")
>>> seen
['refining ties: round 2']
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from .interrupts import checkpoint

_listeners: list[Callable[[str], None]] = []


def note(message: str) -> None:
    """Tell the listeners (if any) what is being done now (a moment to honour
    an interrupt that some library swallowed: ``symgrad.base.interrupts``)."""
    checkpoint()
    for listener in _listeners:
        listener(message)


def phase(name: str, message: str) -> None:
    """Entering the phase ``name`` (the interrupt checkpoint of that name),
    told to the listeners as ``message``: every phase that can take long
    (deriving, proving, typesetting, compiling, writing) announces itself.

    >>> seen = []
    >>> with listening(seen.append):
    ...     phase("deriving", "deriving 10 gradients")
    >>> seen
    ['deriving 10 gradients']
    """
    checkpoint(name)
    note(message)


@contextmanager
def listening(listener: Callable[[str], None]):
    """Send every ``note`` in the block to ``listener``."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
