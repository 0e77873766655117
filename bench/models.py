"""Real-model shapes for the lint benchmark, built in-process (random init, nothing
downloaded): MLPs, a GPT-2-style transformer and a ResNet-50-style network.

Each ``*_case`` returns ``(model, inputs, loss, targets)`` as ``symgrad lint`` takes them.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


# --- MLP -------------------------------------------------------------------------
def mlp(sizes):
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def mlp_case(sizes, batch=32, seed=0):
    torch.manual_seed(seed)
    model = mlp(sizes)
    x = torch.randn(batch, sizes[0])
    t = torch.randint(0, sizes[-1], (batch,))
    return model, (x,), nn.CrossEntropyLoss(), t


# --- GPT-2 -----------------------------------------------------------------------
class Block(nn.Module):
    """A pre-LN transformer block: causal self-attention (q/k/v in one linear,
    F.scaled_dot_product_attention) and a 4x GELU MLP, both residual."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width)
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.c_fc = nn.Linear(width, 4 * width)
        self.mlp_proj = nn.Linear(4 * width, width)

    def forward(self, x):
        B, L, D = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
        q, k, v = (t.view(B, L, self.heads, D // self.heads).transpose(1, 2) for t in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.c_proj(a.transpose(1, 2).reshape(B, L, D))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    """GPT-2 shaped: token + position embeddings, pre-LN blocks, final LayerNorm,
    an LM head tied to the token embedding (as in GPT-2)."""

    def __init__(self, vocab=50257, context=1024, width=768, layers=12, heads=12, tied=True):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(context, width)
        self.h = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)
        self.lm_head = nn.Linear(width, vocab, bias=False)
        if tied:
            self.lm_head.weight = self.wte.weight
        for name, p in self.named_parameters():            # GPT-2's init
            if name.endswith("weight") and p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx):
        B, L = idx.shape
        pos = torch.arange(L, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return logits.reshape(B * L, -1)


def gpt_case(batch=2, tokens=32, seed=0, **kw):
    torch.manual_seed(seed)
    model = GPT(**kw)
    vocab = model.wte.weight.shape[0]
    idx = torch.randint(0, vocab, (batch, tokens))
    t = torch.randint(0, vocab, (batch * tokens,))
    return model, (idx,), nn.CrossEntropyLoss(), t


def gpt2_small_case(batch=2, tokens=32, seed=0):
    return gpt_case(batch, tokens, seed)


# --- ResNet-50 ---------------------------------------------------------------------
class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride=1):
        super().__init__()
        cout = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ResNet layout: 7x7 stem, max pool, four stages of bottlenecks,
    global average pool, a linear classifier.  layers=(3, 4, 6, 3) is ResNet-50."""

    def __init__(self, layers=(3, 4, 6, 3), classes=1000, base=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, base, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        blocks, cin = [], base
        for i, n in enumerate(layers):
            width = base * 2 ** i
            stage = []
            for j in range(n):
                stage.append(Bottleneck(cin, width, stride=2 if (j == 0 and i > 0) else 1))
                cin = width * Bottleneck.expansion
            blocks.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3, self.layer4 = blocks
        self.fc = nn.Linear(cin, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def resnet_case(images=2, size=64, layers=(3, 4, 6, 3), base=64, classes=1000, seed=0):
    torch.manual_seed(seed)
    model = ResNet(layers, classes, base)
    x = torch.randn(images, 3, size, size)
    t = torch.randint(0, classes, (images,))
    return model, (x,), nn.CrossEntropyLoss(), t


def resnet50_case(images=2, size=64, seed=0):
    return resnet_case(images, size, seed=seed)


# --- Llama-shaped, on the meta device (no storage): starts stated, not read -----------
LLAMA_STARTS = ("*norm.weight=1", "*=random")     # RMSNorm gains 1, every weight random


def llama_meta_case(batch=1, tokens=64, seed=0, **shape):
    """A Llama-shaped model on the meta device (7B by default: 32 layers, width 4096),
    its token ids, a loss and targets (``examples/models/llama_meta.py``); lint it with
    ``init=LLAMA_STARTS``."""
    from examples.models.llama_meta import meta_case
    return meta_case(batch, tokens, seed, **shape)


def parameters(model) -> int:
    """Distinct parameters (a tied weight counts once)."""
    return sum(p.numel() for p in model.parameters())
