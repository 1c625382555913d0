"""Quantized weights, byte by byte as each scheme stores them (chapter 16).

One term per format of :data:`everybyte.knobs.WEIGHT_FORMATS`,
``quantized_weights/<format>``: the packed linear layers plus everything the
scheme leaves unquantized, for each family from its linear map
(:func:`everybyte.linears.family_linears`).  For every linear layer
``d_in -> d_out`` with ``n = d_in d_out`` weights:

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

Checked against bitsandbytes on the CPU for every model type of chapter 14's
zoo (int8, NF4, FP4, NF4 with double quantization); chapter 14's families
get those formats only (:func:`everybyte.pipeline.quantized_unavailable`).
torchao quantizes a tied output layer too: it becomes a new int8 copy beside
the embedding, which stays in the setup's dtype (counted; checked tied and untied).
"""

from __future__ import annotations

import sympy as sp

from .knobs import WEIGHT_FORMATS
from dataclasses import replace

from .linears import Linear, family_linears, weight_elements
from .symbols import b_dtype, gated
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

def _expert_matrices(linears) -> tuple[Linear, ...]:
    """The 3-d expert banks as separate matrices (gate and up apart), as GPTQ, AWQ and GGUF files store them."""
    out = []
    for x in linears:
        if x.bank and x.tensor == "experts.gate_up":
            out.append(replace(x, d_out=sp.cancel(x.d_out / (1 + gated)), count=x.count * (1 + gated)))
        elif x.bank:
            out.append(x)
    return tuple(out)


def _embeddings(family: str) -> tuple[Linear, ...]:
    """The embedding tables (2-d tensors GGUF quantizes like the linear layers)."""
    from .parameters import TABLES

    return tuple(Linear(t.name, t.name, sp.cancel(t.numel / t.rows), t.rows, t.count, t.present, None)
                 for t in TABLES[family] if t.name in ("embed_tokens", "embed_positions"))


def _ceil(x):
    # expanded first: SymPy drops a ceiling it can prove integral and would leave a fraction the
    # generated code cannot print (2 (a + b) / 2)
    return sp.ceiling(sp.expand(x))


def _floor(x):
    return sp.floor(sp.expand(x))


def _int8(d_in, d_out):
    return d_in * d_out + 4 * d_out + 1


def _four_bit(d_in, d_out):
    n = d_in * d_out
    return _ceil(n / 2) + 4 * _ceil(n / BNB_BLOCK) + 4 * 16


def _four_bit_double(d_in, d_out):
    n = d_in * d_out
    blocks = _ceil(n / BNB_BLOCK)
    return _ceil(n / 2) + blocks + 4 * _ceil(n / (BNB_BLOCK * BNB_NESTED_BLOCK)) + 4 * 16 + 4 * 256


def _gptq(d_in, d_out):
    groups = _ceil(d_in / GROUP)
    return 4 * _floor(d_in / 8) * d_out + 4 * groups * _floor(d_out / 8) + 2 * groups * d_out + 4 * d_in


def _awq(d_in, d_out):
    groups = _floor(d_in / GROUP)
    return 4 * d_in * _floor(d_out / 8) + 4 * groups * _floor(d_out / 8) + 2 * groups * d_out


def _torchao_int8(d_in, d_out):
    return d_in * d_out + 4 * d_out + d_out


def _gguf(block, size):
    return lambda d_in, d_out: d_out * _ceil(d_in / block) * size


def _packed(linears, per_matrix) -> sp.Expr:
    return sp.Add(*(x.present * x.count * per_matrix(x.d_in, x.d_out) for x in linears))


#: The tensors bitsandbytes and torchao leave as they are although they are linear: the output layer
#: (transformers keeps lm_head out of bitsandbytes) and the router, which transformers 5 keeps as a
#: parameter of its own module (the model types whose router is an nn.Linear are refused:
#: everybyte.pipeline.quantized_unavailable).
_KEPT_LINEAR = ("router", "lm_head")


def format_bytes(name: str, family: str = "llama") -> sp.Expr:
    """Bytes of the whole model's weights in format ``name`` (a key of WEIGHT_FORMATS), in ``family``'s layout."""
    linears = family_linears(family)
    block = tuple(x for x in linears if not x.bank and x.tensor not in _KEPT_LINEAR)
    head = tuple(x for x in linears if x.tensor == "lm_head")
    router = tuple(x for x in linears if x.tensor == "router")
    experts = _expert_matrices(linears)
    schemes = {  # format: (per-matrix bytes, packed layers, bytes of each unquantized parameter)
        "int8": (_int8, block, b_dtype),
        "nf4": (_four_bit, block, b_dtype),
        "fp4": (_four_bit, block, b_dtype),
        "nf4-dq": (_four_bit_double, block, b_dtype),
        "gptq-4bit": (_gptq, block + experts, b_dtype),
        "awq-4bit": (_awq, block + experts, b_dtype),
        "torchao-int8wo": (_torchao_int8, block + head, b_dtype),
    }
    for kind, (size_block, size) in GGUF_TYPES.items():
        schemes[f"gguf-{kind}"] = (_gguf(size_block, size), block + experts + router + head + _embeddings(family), 4)
    per_matrix, packed, unquantized = schemes[name]
    total = _packed(packed, per_matrix) + unquantized * (ref("parameters") - weight_elements(packed))
    if name == "torchao-int8wo":  # a tied output layer becomes a new int8 copy; the embedding stays as it was
        total += _packed(tuple(replace(x, present=1 - x.present) for x in head), per_matrix)
    return total


def quantized_weight_terms(family: str = "llama") -> list[Term]:
    """``quantized_weights/<format>`` for every format."""
    return [Term(f"quantized_weights/{name}", f"weights in {label}", format_bytes(name, family),
                 tags={"weights", "serving"}, section=SECTION) for name, label in WEIGHT_FORMATS.items()]
