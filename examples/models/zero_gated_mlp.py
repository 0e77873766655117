"""A residual MLP whose gate starts at zero behind a ReLU: the gate never learns.

gate.0 is zero (weights and bias), so its ReLU sees exactly 0, passes 0 and
has slope ReLU'(0) = 0: gate.0 gets no gradient, and gate.2's random weights
read only zeros, so they get none either.  Only gate.2.bias moves.
"""
import torch
from torch import nn


class GatedMLP(nn.Module):
    def __init__(self, d=4, hidden=8):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.gate = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, d))
        nn.init.zeros_(self.gate[0].weight)
        nn.init.zeros_(self.gate[0].bias)

    def forward(self, x):
        return self.fc(x) + self.gate(x)


def factory():
    torch.manual_seed(0)
    return GatedMLP(), (torch.randn(6, 4),)
