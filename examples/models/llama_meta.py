"""A Llama-shaped decoder on the meta device: no storage, so its starts are stated.

``factory()`` builds the 7B shape (32 layers, width 4096, 6.7 billion parameters)
and a batch of 32 token ids.  Lint it with its starts stated (RMSNorm gains 1,
every weight random), or ask what copies or zero starts would do::

    symgrad lint examples/models/llama_meta.py:factory --init '*norm.weight=1'
    symgrad lint examples/models/llama_meta.py:factory --init 'layers.1-31=copy of layers.0'

Large parameters are analysed by rows and columns, never one colour per entry.
"""
import torch
import torch.nn.functional as F
from torch import nn


class LlamaBlock(nn.Module):
    """A pre-norm decoder block: RMSNorm, causal self-attention (q, k, v, o projections
    without bias), RMSNorm and a SwiGLU MLP, both residual."""

    def __init__(self, width, heads, hidden):
        super().__init__()
        self.heads = heads
        self.attn_norm = nn.RMSNorm(width)
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(width, width, bias=False) for _ in range(4))
        self.mlp_norm = nn.RMSNorm(width)
        self.gate_proj = nn.Linear(width, hidden, bias=False)
        self.up_proj = nn.Linear(width, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, width, bias=False)

    def forward(self, x):
        B, L, D = x.shape
        h = self.attn_norm(x)
        q, k, v = (p(h).view(B, L, self.heads, D // self.heads).transpose(1, 2)
                   for p in (self.q_proj, self.k_proj, self.v_proj))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o_proj(a.transpose(1, 2).reshape(B, L, D))
        h = self.mlp_norm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    """Llama-shaped: a token embedding, decoder blocks, a final RMSNorm and an untied LM head
    (the defaults are the 7B shape)."""

    def __init__(self, vocab=32000, width=4096, layers=32, heads=32, hidden=11008):
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.layers = nn.ModuleList([LlamaBlock(width, heads, hidden) for _ in range(layers)])
        self.norm = nn.RMSNorm(width)
        self.lm_head = nn.Linear(width, vocab, bias=False)

    def forward(self, idx):
        x = self.embed(idx)
        for block in self.layers:
            x = block(x)
        return self.lm_head(self.norm(x)).reshape(-1, self.lm_head.out_features)


def meta_case(batch=1, tokens=32, seed=0, **shape):
    """The model on the meta device, token ids, a loss and targets."""
    torch.manual_seed(seed)
    with torch.device("meta"):
        model = Llama(**shape)
    vocab = model.embed.weight.shape[0]
    return (model, (torch.randint(0, vocab, (batch, tokens)),), nn.CrossEntropyLoss(),
            torch.randint(0, vocab, (batch * tokens,)))


def factory():
    return meta_case()
