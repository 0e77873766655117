"""Entries of a parameter that no gradient can ever reach.

An embedding table read only through constant indices (the positions
``0..T-1`` of a positional embedding, computed in the graph) sends its
gradient to the rows those indices pick, and never to the padding row:
every other row gets exactly zero, whatever the colours of the deltas.
Such entries never move and never split from each other, under every
hypothesis, so the refinement need not run a pass to learn it again.
"""

import numpy as np

from .factored import Fac

EMBEDDING = "aten.embedding.default"


def unreached(cap, env) -> dict:
    """Parameter path -> flat bool array of the entries no op sends a gradient to, for
    each (flat) parameter that has such entries; ``env`` holds the forward values.

    A parameter counts as read everywhere as soon as one of its uses is anything but
    an embedding lookup with constant indices (a view, a matmul, a lookup by data).
    """
    tables: dict = {}                       # a tied parameter may have several placeholders
    for node in cap.graph.nodes:
        if node.op == "placeholder" and cap.kinds[node.name][0] == "param":
            tables.setdefault(cap.kinds[node.name][1], []).append(node)
    out = {}
    for key, nodes in tables.items():
        param = env[nodes[0]]
        if isinstance(param.c, Fac) or param.c.ndim != 2:
            continue
        rows = [_rows_reached(node, env, param.shape[0]) for node in nodes]
        if any(r is None for r in rows):
            continue
        reached = np.logical_or.reduce(rows)
        if not reached.all():
            out[key] = np.repeat(~reached, param.shape[1])
    return out


def _rows_reached(node, env, count):
    """Bool per row of the table ``node``: some lookup may send it a gradient (None:
    a use that is not a lookup by constant indices, so every row may be reached)."""
    rows = np.zeros(count, bool)
    for user in node.users:
        if str(user.target).replace("torch.ops.", "") != EMBEDDING or user.args[0] is not node:
            return None
        index = env[user.args[1]]
        if index.v is None:
            return None
        ids = index.v.detach().cpu().numpy().astype(np.int64).ravel()
        padding = user.args[2] if len(user.args) > 2 else user.kwargs.get("padding_idx", -1)
        rows[ids[ids != padding] if padding is not None and padding >= 0 else ids] = True
    return rows
