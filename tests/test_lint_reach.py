"""Entries no gradient reaches (rows of an embedding table its constant indices never
pick, a padding row) are known to stay frozen without a pass: checked against
torch autograd (their gradient is exactly zero for any data), against the claims
lint makes, and by counting the passes lint runs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from symgrad.maths.palette import Palette  # noqa: E402
from symgrad.tensor import lint  # noqa: E402
from symgrad.tensor import interpret  # noqa: E402
from symgrad.tensor.capture import capture  # noqa: E402
from symgrad.tensor.reach import unreached  # noqa: E402


class Positions(nn.Module):
    """Tokens plus positions; the head reads the token table (tied) or its own weight."""

    def __init__(self, vocab=6, width=3, context=10, tied=True, padding=None):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(context, width, padding_idx=padding)
        self.head = None if tied else nn.Linear(width, vocab, bias=False)

    def forward(self, idx):
        h = torch.tanh(self.wte(idx) + self.wpe(torch.arange(idx.shape[-1])))
        return h @ (self.wte.weight.T if self.head is None else self.head.weight.T)


def _reach(model, idx):
    cap = capture(model, (idx,), None, None)
    found = {}
    interpret.run(cap, Palette(), {n: np.arange(p.numel()).reshape(tuple(p.shape)) + 2
                                   for n, p in cap.params.items()}, (idx,), {}, reach=found)
    return found


def _autograd_zero(model, idx, name):
    """Where torch's gradient of ``name`` is exactly zero for two random data batches."""
    zero = None
    for seed in (1, 2):
        model.zero_grad()
        idx2 = torch.randint(0, model.wte.num_embeddings, idx.shape, generator=torch.Generator().manual_seed(seed))
        model(idx2).pow(2).sum().backward()
        z = (dict(model.named_parameters())[name].grad == 0).numpy().ravel()
        zero = z if zero is None else zero & z
    return zero


@pytest.mark.parametrize("padding", [None, 1])
def test_unreached_rows_are_the_positions_past_the_sequence_and_the_padding_row(padding):
    model, idx = Positions(padding=padding), torch.tensor([[0, 3, 5, 2]])
    found = _reach(model, idx)
    assert set(found) == {"wpe.weight"}                     # the tied token table is read by the head too
    rows = found["wpe.weight"].reshape(10, 3)
    expected = np.arange(10) >= 4
    if padding is not None:
        expected[padding] = True
    assert (rows == expected[:, None]).all()
    assert (_autograd_zero(model, idx, "wpe.weight") >= found["wpe.weight"]).all()   # zero wherever claimed


def test_a_table_read_by_data_or_by_another_op_is_reached_everywhere():
    model, idx = Positions(tied=False), torch.tensor([[0, 3]])
    found = _reach(model, idx)
    assert "wte.weight" not in found                        # token ids are data: any row may be picked
    assert "head.weight" not in found
    assert found["wpe.weight"].reshape(10, 3)[2:].all() and not found["wpe.weight"].reshape(10, 3)[:2].any()


def _passes(monkeypatch):
    calls = []
    real = interpret.run

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)
    monkeypatch.setattr("symgrad.tensor.refine.run", counting)
    return calls


def test_rows_no_gradient_reaches_cost_no_second_pass(monkeypatch):
    """Every position row past the sequence shares its value with another (so each
    round would ask about it): one pass settles everything else, and the second round
    knows their answer without a pass; the claims stay those of training."""
    torch.manual_seed(0)
    model, idx = Positions(context=12), torch.tensor([[0, 3, 5, 2], [1, 1, 4, 0]])
    with torch.no_grad():
        model.wpe.weight[4:] = torch.tensor([0.5, -0.25, 0.75])   # rows 4.. all equal: shared values
    calls = _passes(monkeypatch)
    result = lint(model, idx)
    assert len(calls) == 1 and result.rounds == 2
    frozen = result.frozen["wpe.weight"]
    assert frozen[4:].all() and not frozen[:4].any()
    classes = result.classes["wpe.weight"]
    assert len(np.unique(classes[4:])) == 3                 # the copies stay tied column by column
    assert _autograd_zero(model, idx, "wpe.weight").reshape(12, 3)[4:].all()


def test_a_second_pass_still_runs_when_a_reached_entry_may_change(monkeypatch):
    """A zero gate thaws in round one, so round two must colour the rows behind it."""
    torch.manual_seed(0)
    model, idx = Positions(context=12), torch.tensor([[0, 3, 5, 2]])
    with torch.no_grad():
        model.wte.weight.zero_()                            # no gradient reaches wte until it moves
        model.wpe.weight[4:] = 0.5
    calls = _passes(monkeypatch)
    lint(model, idx)
    assert len(calls) >= 2
