"""LoRA with both factors zero: each factor's gradient is a product with the
other, so both stay exactly 0 forever (a common initialisation mistake)."""
import torch
from torch import nn

from lora_b_zero import LoRALinear  # noqa: F401  (examples/models is on sys.path when loaded)


def factory():
    torch.manual_seed(0)
    model = nn.Sequential(LoRALinear(zero_a=True), nn.Tanh(), nn.Linear(4, 3))
    return model, (torch.randn(5, 6),), nn.CrossEntropyLoss(), torch.tensor([0, 1, 2, 1, 0])
