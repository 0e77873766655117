"""A classifier whose output layer starts at zero, trained with cross-entropy:
the softmax of the zero logits is uniform and the targets differ, so the
output layer learns at once and the hidden layers follow.  Nothing is frozen
or tied (under the sum of the outputs instead, its rows would stay tied)."""
import torch
from torch import nn


def factory():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    nn.init.zeros_(model[2].weight)
    nn.init.zeros_(model[2].bias)
    return model, (torch.randn(8, 4),), nn.CrossEntropyLoss(), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
