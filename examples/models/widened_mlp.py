"""An MLP widened by replicating units (Net2WiderNet): hidden units 0-3 are
copied into units 4-7 and the next layer's columns are split between the
copies.  The function is unchanged, and so is its capacity: the copies are
tied forever, 4 effective units of 8."""
import torch
from torch import nn


def factory():
    torch.manual_seed(0)
    narrow = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    wide = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    with torch.no_grad():
        wide[0].weight.copy_(narrow[0].weight.repeat(2, 1))
        wide[0].bias.copy_(narrow[0].bias.repeat(2))
        wide[2].weight.copy_(narrow[2].weight.repeat(1, 2) / 2)
        wide[2].bias.copy_(narrow[2].bias)
    return wide, (torch.randn(6, 3),), nn.MSELoss(), torch.randn(6, 2)
