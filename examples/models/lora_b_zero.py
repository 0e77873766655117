"""LoRA as published: A random, B zero.  B learns at once (its gradient is
delta times A x), and A learns as soon as B has moved: nothing is frozen."""
import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, d_in=6, d_out=4, rank=2, zero_a=False):
        super().__init__()
        self.base = nn.Linear(d_in, d_out)
        self.base.requires_grad_(False)                 # the pretrained weight stays fixed
        self.lora_A = nn.Parameter(torch.randn(rank, d_in) / d_in ** 0.5)
        self.lora_B = nn.Parameter(torch.zeros(d_out, rank))
        if zero_a:
            nn.init.zeros_(self.lora_A)

    def forward(self, x):
        return self.base(x) + x @ self.lora_A.T @ self.lora_B.T


def factory():
    torch.manual_seed(0)
    model = nn.Sequential(LoRALinear(), nn.Tanh(), nn.Linear(4, 3))
    return model, (torch.randn(5, 6),), nn.CrossEntropyLoss(), torch.tensor([0, 1, 2, 1, 0])
