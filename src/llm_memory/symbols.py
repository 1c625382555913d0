"""The book's symbol table: one SymPy symbol per quantity, one meaning per symbol.

The article this book corrects uses ``N`` both for the number of layers and for
the number of parameters, and writes the hidden size as ``d_model`` in one
section and ``H`` in another.  Here every quantity has exactly one name:

* ``L`` is the number of Transformer layers and ``N`` the number of parameters;
* ``d_model`` is the hidden size everywhere (the article's ``H``);
* ``E`` abbreviates ``B*S*d_model``, the number of *elements* (not bytes) of one
  activation tensor of width ``d_model``.

The notation page of the book (``book/notation``) is rendered from
:data:`NOTATION`, so the page and the package cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

_COUNT = {"positive": True, "integer": True}

# Architecture
V = sp.Symbol("V", **_COUNT)
d_model = sp.Symbol("d_model", **_COUNT)
d_ff = sp.Symbol("d_ff", **_COUNT)
h = sp.Symbol("h", **_COUNT)
L = sp.Symbol("L", **_COUNT)
P = sp.Symbol("P", **_COUNT)
N = sp.Symbol("N", **_COUNT)

# Architecture of real models (chapter 12): grouped-query attention, explicit
# head width, mixtures of experts.
h_kv = sp.Symbol("h_kv", **_COUNT)
d_head = sp.Symbol("d_head", **_COUNT)
n_experts = sp.Symbol("n_experts", **_COUNT)
k_experts = sp.Symbol("k_experts", **_COUNT)

# Layout switches of the general formula (chapter 12): each is 0 or 1, except
# norm_width, the parameters per channel of a norm (2 for LayerNorm, 1 for RMSNorm).
_SWITCH = {"nonnegative": True, "integer": True}
bias_qkv = sp.Symbol("beta_qkv", **_SWITCH)
bias_o = sp.Symbol("beta_o", **_SWITCH)
bias_ff = sp.Symbol("beta_ff", **_SWITCH)
gated = sp.Symbol("gamma", **_SWITCH)
norm_width = sp.Symbol("nu", **_COUNT)
router = sp.Symbol("rho", **_SWITCH)
learned_positions = sp.Symbol("pi", **_SWITCH)
final_norm = sp.Symbol("phi", **_SWITCH)
untied = sp.Symbol("tau", **_SWITCH)

# Workload
B = sp.Symbol("B", **_COUNT)
S = sp.Symbol("S", **_COUNT)

# Storage
b_param = sp.Symbol("b_param", positive=True, rational=True)

# Parallelism and other techniques
t = sp.Symbol("t", **_COUNT)
N_d = sp.Symbol("N_d", **_COUNT)
N_student = sp.Symbol("N_student", **_COUNT)
N_teacher = sp.Symbol("N_teacher", **_COUNT)
g = sp.Symbol("g", **_COUNT)
density = sp.Symbol("density", positive=True)

# Scaling laws
alpha = sp.Symbol("alpha", positive=True)
gain = sp.Symbol("gain", positive=True)

#: Abbreviation used by the article and by Korthikanti et al.: elements of one
#: (B, S, d_model) activation.  Formulas in the package are written in the base
#: symbols; :func:`in_terms_of_E` rewrites them for display.
E = sp.Symbol("E", **_COUNT)
E_elements = B * S * d_model


def in_terms_of_E(expr: sp.Expr) -> sp.Expr:
    """Rewrite ``expr`` with ``B*S*d_model`` replaced by ``E`` (for display only)."""
    return sp.expand(expr).subs(E_elements, E)


@dataclass(frozen=True)
class Notation:
    symbol: sp.Symbol
    code_name: str
    meaning: str


#: Every symbol of the book, in the order of the notation page.
NOTATION: tuple[Notation, ...] = (
    Notation(V, "vocab_size", "vocabulary size: rows of the token-embedding table"),
    Notation(d_model, "d_model", "hidden size, the width of the residual stream (the article's H)"),
    Notation(d_ff, "d_ff", "width of the feed-forward layer's hidden activation, usually 4 d_model"),
    Notation(h, "n_heads", "number of attention heads; each has width d_model / h"),
    Notation(L, "n_layers", "number of Transformer layers (the article sometimes writes N)"),
    Notation(P, "n_positions", "number of learned position embeddings (context length of GPT-2/GPT-3)"),
    Notation(N, "total parameters", "number of parameters of the whole model (never the layer count)"),
    Notation(h_kv, "n_kv_heads", "key/value heads under grouped-query attention (h_kv = h without it)"),
    Notation(d_head, "head_dim", "width of one attention head (d_model / h unless a config says otherwise)"),
    Notation(n_experts, "n_experts", "feed-forward experts per layer in a mixture of experts (1 for a dense model)"),
    Notation(k_experts, "experts_per_token", "experts each token is routed through"),
    Notation(bias_qkv, "qkv bias", "1 if the query, key and value projections have biases, else 0"),
    Notation(bias_o, "output bias", "1 if the attention output projection has a bias, else 0"),
    Notation(bias_ff, "mlp bias", "1 if the feed-forward layers have biases, else 0"),
    Notation(gated, "gated", "1 for a gated feed-forward layer (SwiGLU: gate, up, down), 0 for a plain one"),
    Notation(norm_width, "norm parameters per channel", "2 for LayerNorm (scale and shift), 1 for RMSNorm (scale)"),
    Notation(router, "router", "1 if a mixture-of-experts router is present, else 0"),
    Notation(learned_positions, "learned positions", "1 for a learned position table (GPT-2), 0 for rotary positions"),
    Notation(final_norm, "final norm", "1 if a norm follows the last layer, else 0"),
    Notation(untied, "untied", "1 if the output layer has its own matrix, 0 if it reuses the embedding"),
    Notation(B, "batch", "batch size: sequences per optimizer step"),
    Notation(S, "seq", "sequence length in tokens"),
    Notation(E, "E", "B S d_model: elements (not bytes) of one activation tensor of width d_model"),
    Notation(b_param, "bytes per parameter", "bytes used to store one parameter in a given dtype"),
    Notation(t, "tensor_parallel", "tensor-parallel degree: GPUs one layer is split across"),
    Notation(N_d, "data_parallel", "data-parallel degree: GPUs that share optimizer state under ZeRO"),
    Notation(g, "group_size", "weights sharing one quantization scale"),
    Notation(density, "density", "fraction of weights a pruned model keeps"),
    Notation(N_teacher, "teacher", "parameters of the teacher model in distillation"),
    Notation(N_student, "student", "parameters of the student model in distillation"),
    Notation(alpha, "alpha", "scaling exponent of performance in N"),
    Notation(gain, "gain", "factor by which performance should improve (1.1 for 10 %)"),
)
