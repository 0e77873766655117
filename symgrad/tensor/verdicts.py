"""The words of lint's verdicts, shared by the findings of every kind of parameter:
the ``Finding`` record, what keeps a tie or a frozen parameter, module paths, and
groups of indices written short."""

from dataclasses import dataclass

TIE_KEEP = ("kept by SGD, momentum, Adam/AdamW, weight decay and global-norm clipping "
            "(elementwise steps); dropout would break it")
FROZEN_KEEP = ("no optimiser moves them (their gradient is exactly 0, so momentum and Adam "
               "state stay 0)")


@dataclass(frozen=True)
class Finding:
    """One verdict: its kind, the module it is about, a message and its evidence."""
    kind: str
    module_path: str
    message: str
    evidence: str
    parameters: tuple = ()


def module_of(name):
    return name.rsplit(".", 1)[0] if "." in name else ""


def groups_text(groups, word):
    def one(g):
        g = sorted(g)
        return f"{g[0]}-{g[-1]}" if len(g) > 2 and g[-1] - g[0] == len(g) - 1 else ",".join(map(str, g))
    shown = [one(g) for g in groups[:6]]
    more = f" and {len(groups) - 6} more groups" if len(groups) > 6 else ""
    return f"{word} " + " | ".join(shown) + more


def unavailable(error) -> str:
    return f"no float64 evidence: {error}"


def modules_apart(a, b):
    """The module paths where two parameter paths first differ ("h.0", "h.1")."""
    pa, pb = a.split("."), b.split(".")
    k = next((i for i, (x, y) in enumerate(zip(pa, pb)) if x != y), min(len(pa), len(pb)) - 1)
    return ".".join(pa[:k + 1]), ".".join(pb[:k + 1])
