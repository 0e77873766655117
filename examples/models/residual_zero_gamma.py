"""A residual block whose last BatchNorm has gamma = 0 (the "zero-init
residual" trick): the block starts as the identity, gamma learns at once and
the convolutions learn as soon as gamma has moved.  Nothing is frozen."""
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, c=3):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        nn.init.zeros_(self.bn2.weight)
        self.head = nn.Linear(c, 2)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(x + self.bn2(self.conv2(h)))
        return self.head(y.mean(dim=(2, 3)))


def factory():
    torch.manual_seed(0)
    return Block(), (torch.randn(4, 3, 5, 5),), nn.MSELoss(), torch.randn(4, 2)
