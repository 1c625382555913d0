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
    Notation(B, "batch", "batch size: sequences per optimizer step"),
    Notation(S, "seq", "sequence length in tokens"),
    Notation(E, "E", "B S d_model: elements (not bytes) of one activation tensor of width d_model"),
    Notation(b_param, "bytes per parameter", "bytes used to store one parameter in a given dtype"),
    Notation(t, "tensor_parallel", "tensor-parallel degree: GPUs one layer is split across"),
    Notation(N_d, "data_parallel", "data-parallel degree: GPUs that share optimizer state under ZeRO"),
    Notation(g, "group_size", "weights sharing one quantization scale"),
    Notation(N_teacher, "teacher", "parameters of the teacher model in distillation"),
    Notation(N_student, "student", "parameters of the student model in distillation"),
    Notation(alpha, "alpha", "scaling exponent of performance in N"),
    Notation(gain, "gain", "factor by which performance should improve (1.1 for 10 %)"),
)
