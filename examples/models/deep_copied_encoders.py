"""Two transformer encoder layers made with copy.deepcopy and applied in
sequence: they start as exact copies but sit at different depths, so their
gradients differ and they separate (no tie survives; the lint says so)."""
import copy

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, d=8, layers=2):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, batch_first=True)
        self.layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(layers))
        self.head = nn.Linear(d, 2)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.head(x.mean(1))


def factory():
    torch.manual_seed(0)
    return Encoder(), (torch.randn(2, 4, 8),), nn.MSELoss(), torch.randn(2, 2)
