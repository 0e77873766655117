"""Figures of numeric training traces: tied weights move together.

``plot_trace(trace, path, classes)`` draws every parameter's value against the
step, one colour per class (the invariant classes of a ``Proof``, or classes
given by name), and writes the figure to ``path`` (PDF, PNG or SVG, by its
suffix).  Members of a class share a colour and are drawn thick to thin and
dark to light, so a bundle of coinciding lines shows as one striped line.
``plot_training(net, init, path)`` trains, proves and plots in one call.
Needs matplotlib (the extra ``symgrad[plot]``), imported when a figure is drawn.

>>> from symgrad import examples, Constant, prove
>>> net = examples.toy()
>>> styles = line_styles(net, prove(net, Constant("a")))
>>> [s.label for s in styles if s.label]
['w1 = w2', 'w3 = w4', 'w5 = w6 = w7 = w8', 'w9 = w10']
>>> styles[4], styles[5]
(Style(colour=2, tint=0.0, width=3.0, label='w5 = w6 = w7 = w8'), Style(colour=2, tint=0.2, width=2.2, label=None))
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

from ..dynamics.training import train
from ..present.phrases import class_text
from ..proofs.symmetry import prove

WIDEST, NARROWEST, STEP = 3.0, 0.8, 0.8  # line widths of a class's members, thick to thin
TINT, LIGHTEST = 0.2, 0.6  # and ever lighter, so that coinciding lines show as stripes


@dataclass(frozen=True)
class Style:
    """How one parameter's line is drawn: its class's colour, lightened by
    ``tint`` (0 to 1), a width, and the class's legend label on the first
    member only."""

    colour: int
    tint: float
    width: float
    label: str | None


def parameter_classes(net, classes) -> list[tuple[int, ...]]:
    """Classes as tuples of parameter indices, every parameter in one:
    ``classes`` is a ``Proof`` (its invariant classes), a list of groups of
    names, symbols or indices, or None (every parameter on its own)."""
    if classes is None:
        return [(p,) for p in range(net.parameter_count)]
    if hasattr(classes, "invariant_classes"):
        return list(classes.invariant_classes)
    found = [tuple(net.index_of(w) for w in group) for group in classes]
    covered = {p for c in found for p in c}
    found += [(p,) for p in range(net.parameter_count) if p not in covered]
    return sorted(found, key=min)


def line_styles(net, classes) -> list[Style]:
    """The style of every parameter's line (see ``Style``)."""
    styles: list[Style | None] = [None] * net.parameter_count
    for k, members in enumerate(parameter_classes(net, classes)):
        label = class_text(net.param_name(p) for p in members)
        for m, p in enumerate(members):
            width = round(max(NARROWEST, WIDEST - STEP * m), 2)
            styles[p] = Style(k, round(min(LIGHTEST, TINT * m), 2), width, label if m == 0 else None)
    return styles


def plot_trace(trace, path, classes=None, title: str | None = None):
    """Draw ``trace`` (a ``symgrad.dynamics.training.Trace``) coloured by ``classes`` and
    write it to ``path``; returns the matplotlib ``Figure``."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    net = trace.network
    styles = line_styles(net, classes)
    count = 1 + max(s.colour for s in styles)
    palette = _palette(count)
    figure = Figure(figsize=(7, 4.2), layout="constrained")
    axes = figure.add_subplot()
    steps = range(len(trace.values))
    for p, style in enumerate(styles):
        colour = [c + (1 - c) * style.tint for c in palette[style.colour][:3]]
        axes.plot(steps, [v[p] for v in trace.values], color=colour, linewidth=style.width,
                  label=style.label, solid_capstyle="butt")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(0, len(trace.values) - 1)
    axes.set_xlabel("step")
    axes.set_ylabel("parameter value")
    axes.set_title(textwrap.fill(title or f"{net.name}: {count} classes", 90), fontsize=9)
    axes.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    path = Path(path)
    # no creation date in a PDF: the same trace gives the same bytes (committed reports stay unchanged)
    figure.savefig(path, metadata={"CreationDate": None} if path.suffix.lower() == ".pdf" else None)
    return figure


def plot_training(net, init, path, steps: int = 20, lr: float = 0.05, seed: int = 0, **options):
    """Train ``net`` from ``init`` (``symgrad.dynamics.training``), prove its invariant
    classes (``symgrad.prove``) and plot the trace coloured by them."""
    generic = net.with_data(None)  # ties proven for one generic sample hold for any data
    trace = train(generic, init, steps=steps, lr=lr, seed=seed, **options)
    proof = prove(generic, init)
    title = f"{net.name}: {init.describe()}, {len(proof.invariant_classes)} invariant classes"
    return plot_trace(trace, path, proof, title=title)


def _palette(count: int) -> list:
    from matplotlib import colormaps

    if count <= 10:
        return [colormaps["tab10"](k) for k in range(count)]
    return [colormaps["turbo"](k / max(1, count - 1)) for k in range(count)]
