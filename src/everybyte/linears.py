"""The linear layers of every family: what LoRA adapts and what a quantizer packs (chapters 16, 17).

The tensor tables of :mod:`everybyte.tables` give each weight's number of
elements and its first dimension (``rows``); LoRA and the quantized formats
also need its two sides, the input and output features (a LoRA adapter of
rank r on a ``d_in -> d_out`` layer has ``r (d_in + d_out)`` parameters; GPTQ
groups along the input).  Nothing here is typed twice: :func:`linear_map`
reads each family's table and keeps the tensors named in
:data:`LINEAR_TENSORS` (``nn.Linear`` weights, ``(out, in)`` = ``(rows,
numel / rows)``; GPT-2's ``Conv1D`` stores the same matrices input-major, see
:data:`everybyte.parameters.INPUT_MAJOR_ROWS`) and in :data:`EXPERT_BANKS`
(transformers 5's 3-d expert tensors, ``(experts, out, in)``, each bank's
``matrix``).  Each :class:`Linear` carries its LoRA role switch
(:data:`ROLES`).

peft's module names per model type are in :mod:`everybyte.linear_names`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .linear_names import EXPERT_BANK_NAMES, MODULES, PEFT_MAMBA, PEFT_MOE_CONVERSION, ROLES  # noqa: F401
from .symbols import BY_NAME, gated

#: The 3-d expert banks, and how many v4 projections peft's conversion fuses into each (its rank factor).
EXPERT_BANKS: dict[str, sp.Expr] = {"experts.gate_up": 1 + gated, "experts.down": sp.Integer(1)}
assert set(EXPERT_BANKS) == set(EXPERT_BANK_NAMES)
#: The 2-d weights that are ``nn.Linear`` (or Conv1D) matrices: the adaptable ones and the output layer.
LINEAR_TENSORS: tuple[str, ...] = tuple(name for name in ROLES if name not in EXPERT_BANKS) + ("lm_head",)


@dataclass(frozen=True)
class Linear:
    """One kind of linear layer: ``count`` matrices of ``d_in -> d_out`` where ``present`` is 1.

    ``tensor``: the name of its weight in the family's table; ``role``: its
    LoRA role switch (``None``: LoRA never adapts it).  For one matrix of a
    3-d expert bank ``bank`` is true, ``count`` counts every expert's matrix,
    ``tensors`` the bank tensors themselves and ``fused`` peft's rank factor.
    """

    name: str
    tensor: str
    d_in: sp.Expr
    d_out: sp.Expr
    count: sp.Expr
    present: sp.Expr
    role: sp.Symbol | None
    bank: bool = False
    tensors: sp.Expr | None = None
    fused: sp.Expr = sp.Integer(1)


def _role(name: str) -> sp.Symbol | None:
    return BY_NAME[ROLES[name]] if name in ROLES else None


def linear_map(table) -> tuple[Linear, ...]:
    """The linear layers of a tensor table, in its order: its ``nn.Linear`` weights and its 3-d expert banks."""
    out = []
    for t in table:
        if t.name in EXPERT_BANKS:
            d_out, d_in = t.matrix
            out.append(Linear(t.name, t.name, d_in, d_out, t.count * t.rows, t.present, _role(t.name), True, t.count,
                              EXPERT_BANKS[t.name]))
        elif t.name in LINEAR_TENSORS:
            d_in = sp.cancel(t.numel / t.rows)
            if sp.fraction(d_in)[1] != 1:
                raise ValueError(f"{t.name}: numel {t.numel} is not rows {t.rows} times an input width")
            out.append(Linear(t.name, t.name, d_in, t.rows, t.count, t.present, _role(t.name)))
    return tuple(out)


@lru_cache(maxsize=None)
def family_linears(family: str) -> tuple[Linear, ...]:
    """The linear map of a family of :data:`everybyte.families.FAMILIES`, from its tensor table."""
    from .parameters import TABLES

    return linear_map(TABLES[family])


def weight_elements(linears) -> sp.Expr:
    """Elements of the weights of ``linears`` (present ones, every occurrence)."""
    return sp.Add(*(x.present * x.count * x.d_in * x.d_out for x in linears))


# --- chapter 12's general decoder, as chapters 16 and 17 first count it -------------------

def _decoder():
    from .tables import DECODER

    return linear_map(DECODER)


#: The linear layers of every layer of chapter 12's decoder, and the output layer (never adapted by all-linear).
LINEARS: tuple[Linear, ...] = tuple(x for x in _decoder() if not x.bank)
#: Mixtral's experts as transformers 5 stores them: per layer, n_experts x (1 + gamma) d_ff x d_model
#: (gate and up fused) and n_experts x d_model x d_ff.  Not nn.Linear modules, so bitsandbytes and
#: torchao leave them as they are; GPTQ, AWQ and GGUF files quantize each expert's matrices.
EXPERT_TENSORS: tuple[Linear, ...] = tuple(x for x in _decoder() if x.bank)
#: The layers inside the decoder blocks that quantizers pack (the router and the output layer stay in 16 bits).
BLOCK_LINEARS: tuple[Linear, ...] = tuple(x for x in LINEARS if x.tensor not in ("router", "lm_head"))


