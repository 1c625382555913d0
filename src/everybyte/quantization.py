"""Quantized weights, byte by byte as each scheme stores them (chapter 16).

One term per format of :data:`everybyte.knobs.WEIGHT_FORMATS`,
``quantized_weights/<format>``: the packed linear layers plus everything the
scheme leaves unquantized.  For every linear layer ``d_in -> d_out`` of
:data:`everybyte.linears.LINEARS` with ``n = d_in d_out`` weights:

* bitsandbytes LLM.int8 (Dettmers et al. 2022; ``Linear8bitLt``): ``n`` int8
  values, one fp32 scale per output row (``SCB``) and a 1-byte
  ``weight_format``;
* bitsandbytes NF4 and FP4 (Dettmers et al. 2023, section 3; ``Params4bit``,
  blocks of 64): ``ceil(n / 2)`` bytes of packed nibbles, one fp32 absmax per
  block and the 16-entry fp32 code (``quant_map``); with double quantization
  the absmax are 8-bit, with one fp32 absmax per 256 blocks and the 256-entry
  fp32 second code.  Each layer's state dict also holds its quant state as a
  JSON string of a few dozen bytes (``weight.quant_state.bitsandbytes__nf4``)
  whose length depends on the digits of the shape: it is left out here and
  measured separately in the tests;
* GPTQ (Frantar et al. 2023; AutoGPTQ's ``QuantLinear``, 4 bits, group size
  128): ``qweight`` int32 ``(d_in / 8, d_out)``, ``qzeros`` int32
  ``(ceil(d_in / 128), d_out / 8)``, fp16 ``scales`` ``(ceil(d_in / 128),
  d_out)`` and int32 ``g_idx`` ``(d_in,)``;
* AWQ (Lin et al. 2023; AutoAWQ's ``WQLinear_GEMM``, 4 bits, group 128):
  ``qweight`` int32 ``(d_in, d_out / 8)``, ``qzeros`` int32 ``(d_in / 128,
  d_out / 8)``, fp16 ``scales`` ``(d_in / 128, d_out)``;
* torchao int8 weight-only (``Int8WeightOnlyConfig``): ``n`` int8 values, an
  fp32 scale and an int8 zero point per output row;
* GGUF (the ``gguf`` package's ``GGML_QUANT_SIZES``): every row of ``d_in``
  values in blocks of ``block`` values stored in ``size`` bytes, for every 2-d
  tensor (embeddings, the output layer and the router too); 1-d tensors
  (norms, biases) in F32.  This is a file of one type throughout; llama.cpp's
  mixed presets (Q4_K_M and friends) choose a type per tensor and are not modelled.

What stays unquantized, in the setup's dtype: for bitsandbytes, GPTQ, AWQ and
torchao the embeddings, the norms, the biases, the router and the output layer
(transformers keeps ``lm_head`` out of bitsandbytes; GPTQ and AWQ quantize the
decoder blocks' linear layers only); transformers 5's 3-d Mixtral experts are
not ``nn.Linear`` modules, so bitsandbytes and torchao leave them too, while
GPTQ, AWQ and GGUF files quantize every expert's matrices.  torchao replaces
``nn.Linear`` modules only: GPT-2's ``Conv1D`` layers stay as they are there
(not modelled: the term assumes ``nn.Linear`` layers).
"""

from __future__ import annotations

import sympy as sp

from .knobs import WEIGHT_FORMATS
from .linears import BLOCK_LINEARS, EXPERT_TENSORS, LINEARS, Linear, weight_elements
from .symbols import V, P, b_dtype, d_ff, d_model, fused_experts, gated, L, learned_positions, n_experts
from .terms import Term, ref

SECTION = "sec-quantized-weights"

#: GGUF block types: (values per block, bytes per block), as gguf 0.19.0's GGML_QUANT_SIZES
#: (tests/test_quantization.py checks the table against the installed package).
GGUF_TYPES: dict[str, tuple[int, int]] = {
    "q4_0": (32, 18), "q4_1": (32, 20), "q5_0": (32, 22), "q5_1": (32, 24), "q8_0": (32, 34),
    "q2_k": (256, 84), "q3_k": (256, 110), "q4_k": (256, 144), "q5_k": (256, 176), "q6_k": (256, 210),
}
#: Block size of bitsandbytes' 4-bit formats (transformers' default) and the absmax per nested block.
BNB_BLOCK = 64
BNB_NESTED_BLOCK = 256
GROUP = 128

#: Experts as separate matrices (gate and up apart), as GPTQ, AWQ and GGUF files store them.
_EXPERT_MATRICES = (
    Linear("experts.gate_up", "experts.gate_up", d_model, d_ff, L * n_experts * (1 + gated), fused_experts, None),
    EXPERT_TENSORS[1],
)
_EMBEDDINGS = (
    Linear("embed_tokens", "embed_tokens", d_model, V, sp.Integer(1), sp.Integer(1), None),
    Linear("embed_positions", "embed_positions", d_model, P, sp.Integer(1), learned_positions, None),
)
_ROUTER_AND_HEAD = tuple(x for x in LINEARS if x.name in ("router", "lm_head"))


def _int8(d_in, d_out):
    return d_in * d_out + 4 * d_out + 1


def _four_bit(d_in, d_out):
    n = d_in * d_out
    return sp.ceiling(n / 2) + 4 * sp.ceiling(n / BNB_BLOCK) + 4 * 16


def _four_bit_double(d_in, d_out):
    n = d_in * d_out
    blocks = sp.ceiling(n / BNB_BLOCK)
    return sp.ceiling(n / 2) + blocks + 4 * sp.ceiling(n / (BNB_BLOCK * BNB_NESTED_BLOCK)) + 4 * 16 + 4 * 256


def _gptq(d_in, d_out):
    groups = sp.ceiling(d_in / GROUP)
    return 4 * sp.floor(d_in / 8) * d_out + 4 * groups * sp.floor(d_out / 8) + 2 * groups * d_out + 4 * d_in


def _awq(d_in, d_out):
    groups = sp.floor(d_in / GROUP)
    return 4 * d_in * sp.floor(d_out / 8) + 4 * groups * sp.floor(d_out / 8) + 2 * groups * d_out


def _torchao_int8(d_in, d_out):
    return d_in * d_out + 4 * d_out + d_out


def _gguf(block, size):
    return lambda d_in, d_out: d_out * sp.ceiling(d_in / block) * size


def _packed(linears, per_matrix) -> sp.Expr:
    return sp.Add(*(x.present * x.count * per_matrix(x.d_in, x.d_out) for x in linears))


def format_bytes(name: str) -> sp.Expr:
    """Bytes of the whole model's weights in format ``name`` (a key of WEIGHT_FORMATS)."""
    schemes = {  # format: (per-matrix bytes, packed layers, bytes of each unquantized parameter)
        "int8": (_int8, BLOCK_LINEARS, b_dtype),
        "nf4": (_four_bit, BLOCK_LINEARS, b_dtype),
        "fp4": (_four_bit, BLOCK_LINEARS, b_dtype),
        "nf4-dq": (_four_bit_double, BLOCK_LINEARS, b_dtype),
        "gptq-4bit": (_gptq, BLOCK_LINEARS + _EXPERT_MATRICES, b_dtype),
        "awq-4bit": (_awq, BLOCK_LINEARS + _EXPERT_MATRICES, b_dtype),
        "torchao-int8wo": (_torchao_int8, BLOCK_LINEARS + _ROUTER_AND_HEAD[1:], b_dtype),
    }
    for kind, (block, size) in GGUF_TYPES.items():
        schemes[f"gguf-{kind}"] = (_gguf(block, size), BLOCK_LINEARS + _EXPERT_MATRICES + _ROUTER_AND_HEAD
                                   + _EMBEDDINGS, 4)
    per_matrix, linears, unquantized = schemes[name]
    return _packed(linears, per_matrix) + unquantized * (ref("parameters") - weight_elements(linears))


def quantized_weight_terms() -> list[Term]:
    """``quantized_weights/<format>`` for every format."""
    return [Term(f"quantized_weights/{name}", f"weights in {label}", format_bytes(name), tags={"weights", "serving"},
                 section=SECTION) for name, label in WEIGHT_FORMATS.items()]
