"""Multi-head attention whose two heads start as exact copies (query, key and
value projections, and the out-projection columns reading them): the heads
receive identical gradients and stay copies forever."""
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, d=8, heads=2):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.head = nn.Linear(d, 3)
        hd = d // heads
        with torch.no_grad():
            w = self.attn.in_proj_weight.view(3, heads, hd, d)
            b = self.attn.in_proj_bias.view(3, heads, hd)
            b.normal_()
            ow = self.attn.out_proj.weight.view(d, heads, hd)
            for h in range(1, heads):
                w[:, h] = w[:, 0]
                b[:, h] = b[:, 0]
                ow[:, h] = ow[:, 0]

    def forward(self, x):
        a, _ = self.attn(x, x, x, need_weights=False)
        return self.head(a + x)


def factory():
    torch.manual_seed(0)
    return Block(), (torch.randn(2, 5, 8),)
