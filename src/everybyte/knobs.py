"""The serving and fine-tuning choices a user makes (chapters 16 and 17), as data.  No SymPy.

Two records, each reachable from :class:`everybyte.options.Setup` by one field:

* :class:`Serving`: the format of the weights (the setup's dtype, or one of
  :data:`WEIGHT_FORMATS`), the KV cache's dtype (a float dtype, or a 2- or
  4-bit ``QuantizedCache`` with its group size), and how the cache is
  allocated (``dynamic``: grown token by token, as ``DynamicCache``;
  ``static``: pre-allocated to ``max_cache_len`` tokens, as ``StaticCache``;
  ``paged``: in blocks of ``block_size`` tokens, as vLLM allocates it);
* :class:`LoRA`: the rank, the target modules (names as peft matches them, or
  ``all-linear``), DoRA, a frozen base in NF4 (QLoRA) and paged optimizer states.

:meth:`Serving.symbol_values` and :meth:`LoRA.symbol_values` give the values of
the serving and fine-tuning symbols by name; :func:`lora_targets` resolves the
target names for one model type and refuses names that match no module of
it, as peft does.
"""

from __future__ import annotations

from . import validation as check
from . import linear_names as _names
from .records import Record

#: Quantized weight formats, in the order of the ``w_fmt`` symbol (1, 2, ...); 0 is the setup's dtype.
#: Each maps to a reader's label; :mod:`everybyte.quantization` holds their byte counts.
WEIGHT_FORMATS: dict[str, str] = {
    "int8": "bitsandbytes LLM.int8 (int8 rows, fp32 row scales)",
    "nf4": "bitsandbytes NF4 (blocks of 64, fp32 absmax)",
    "nf4-dq": "bitsandbytes NF4 with double quantization (8-bit absmax, fp32 per 256 blocks)",
    "fp4": "bitsandbytes FP4 (blocks of 64, fp32 absmax)",
    "gptq-4bit": "GPTQ 4-bit, group size 128 (int32-packed weights and zeros, fp16 scales, g_idx)",
    "awq-4bit": "AWQ 4-bit GEMM, group size 128 (int32-packed weights and zeros, fp16 scales)",
    "torchao-int8wo": "torchao int8 weight-only (int8 rows, fp32 scale and int8 zero point per row)",
    "gguf-q4_0": "GGUF Q4_0 (blocks of 32: 18 bytes)",
    "gguf-q4_1": "GGUF Q4_1 (blocks of 32: 20 bytes)",
    "gguf-q5_0": "GGUF Q5_0 (blocks of 32: 22 bytes)",
    "gguf-q5_1": "GGUF Q5_1 (blocks of 32: 24 bytes)",
    "gguf-q8_0": "GGUF Q8_0 (blocks of 32: 34 bytes)",
    "gguf-q2_k": "GGUF Q2_K (blocks of 256: 84 bytes)",
    "gguf-q3_k": "GGUF Q3_K (blocks of 256: 110 bytes)",
    "gguf-q4_k": "GGUF Q4_K (blocks of 256: 144 bytes)",
    "gguf-q5_k": "GGUF Q5_K (blocks of 256: 176 bytes)",
    "gguf-q6_k": "GGUF Q6_K (blocks of 256: 210 bytes)",
}
#: KV-cache dtypes: float dtypes (bytes per element), and transformers' QuantizedCache (quanto backend) bits.
KV_FLOAT_BYTES: dict[str, int] = {"fp32": 4, "bf16": 2, "fp16": 2}
KV_QUANTIZED_BITS: dict[str, int] = {"int4": 4, "int2": 2}
KV_DTYPES: tuple[str, ...] = ("auto", *KV_FLOAT_BYTES, *KV_QUANTIZED_BITS)
#: How the cache is allocated, in the order of the ``kv_kind`` symbol.
CACHE_KINDS: tuple[str, ...] = ("dynamic", "static", "paged")


class Serving(Record):
    """How a model is served (chapter 16).

    ``weights``: ``"auto"`` (the setup's dtype) or a key of :data:`WEIGHT_FORMATS`;
    ``kv_dtype``: ``"auto"`` (the setup's dtype), ``fp32``/``bf16``/``fp16``, or
    ``int4``/``int2`` for transformers' ``QuantizedCache`` (quanto backend) with
    ``kv_group_size`` values per scale and ``kv_residual`` tokens kept in full precision; ``cache``: ``dynamic``, ``static`` (with
    ``max_cache_len`` tokens; ``None`` means the workload's sequence length) or
    ``paged`` (vLLM's blocks of ``block_size`` tokens).
    """

    weights: str = "auto"
    kv_dtype: str = "auto"
    kv_group_size: int = 64
    kv_residual: int = 128
    cache: str = "dynamic"
    max_cache_len: int | None = None
    block_size: int = 16

    def __post_init__(self):
        check.choice("weights", self.weights, ("auto", *WEIGHT_FORMATS))
        check.choice("kv_dtype", self.kv_dtype, KV_DTYPES)
        object.__setattr__(self, "kv_group_size", check.positive_int("kv_group_size", self.kv_group_size))
        object.__setattr__(self, "kv_residual", check.positive_int("kv_residual", self.kv_residual))
        check.choice("cache", self.cache, CACHE_KINDS)
        if self.max_cache_len is not None:
            object.__setattr__(self, "max_cache_len", check.positive_int("max_cache_len", self.max_cache_len))
        object.__setattr__(self, "block_size", check.positive_int("block_size", self.block_size))
        if self.kv_dtype in KV_QUANTIZED_BITS and self.cache != "dynamic":
            raise ValueError(f"kv_dtype {self.kv_dtype} is transformers' QuantizedCache, which grows like the dynamic "
                             f"cache; it cannot be combined with cache={self.cache!r}")

    def symbol_values(self, dtype_bytes: int, seq: int | None = None) -> dict[str, int]:
        """Values of the serving symbols by name; ``dtype_bytes`` is the setup's, ``seq`` the workload's S."""
        kv_bytes = dtype_bytes if self.kv_dtype not in KV_FLOAT_BYTES else KV_FLOAT_BYTES[self.kv_dtype]
        max_len = self.max_cache_len if self.max_cache_len is not None else (seq or 1)
        return {
            "b_kv": kv_bytes,
            "kv_bits": KV_QUANTIZED_BITS.get(self.kv_dtype, 0),
            "g_kv": self.kv_group_size,
            "R_kv": self.kv_residual,
            "kv_kind": CACHE_KINDS.index(self.cache),
            "S_max": max_len,
            "n_block": self.block_size,
            "w_fmt": 0 if self.weights == "auto" else 1 + list(WEIGHT_FORMATS).index(self.weights),
        }


#: The kinds of linear layer LoRA can adapt, by the role symbol's name (one per adaptable tensor of the tables).
LORA_ROLES: tuple[str, ...] = _names.LORA_ROLES


def _module_roles(model_type: str) -> dict[str, tuple[str, ...]]:
    return {module: tuple(dict.fromkeys(_names.ROLES[t] for t in tensors))
            for module, tensors in _names.MODULES[model_type].items()}


#: Module names as peft matches them (the last part of a module's name), by model type, and the roles each
#: covers (:data:`everybyte.linear_names.MODULES`).  GPT-2's ``c_proj`` names both the attention output and
#: the second feed-forward projection.
LORA_MODULES: dict[str, dict[str, tuple[str, ...]]] = {t: _module_roles(t) for t in _names.MODULES}
#: What peft 0.21.2's ``all-linear`` adapts, by model type: every linear layer but the output layer, and where
#: peft converts transformers 5's experts (Mixtral, Qwen3-MoE, DeepSeek...) the router and the 3-d expert
#: tensors through target_parameters instead of the dense and shared MLPs.
ALL_LINEAR: dict[str, tuple[str, ...]] = {t: tuple(dict.fromkeys(r for roles in m.values() for r in roles))
                                          for t, m in LORA_MODULES.items()}
#: Optimizers whose states can be paged (bitsandbytes' paged_adamw_32bit and friends).
PAGEABLE = ("adamw",)


class LoRA(Record):
    """A LoRA, DoRA or QLoRA adapter (chapter 17).

    ``rank``: r; ``targets``: module names as peft matches them (``("q_proj",
    "v_proj")``) or ``("all-linear",)``; ``dora``: DoRA's magnitude vectors;
    ``quant``: ``None`` (the frozen base in the setup's dtype) or ``"nf4"``
    (QLoRA); ``paged``: paged optimizer states.
    """

    rank: int = 8
    targets: tuple[str, ...] = ("q_proj", "v_proj")
    dora: bool = False
    quant: str | None = None
    paged: bool = False

    def __post_init__(self):
        object.__setattr__(self, "rank", check.positive_int("rank", self.rank))
        targets = self.targets
        if isinstance(targets, str):
            targets = tuple(t.strip() for t in targets.split(","))
        if not isinstance(targets, (tuple, list)) or not targets or not all(isinstance(t, str) and t for t in targets):
            raise ValueError(f"targets must be module names like q_proj,v_proj or all-linear; got {self.targets!r}")
        targets = tuple(targets)
        known = sorted({name for modules in LORA_MODULES.values() for name in modules} | {"all-linear"})
        for target in targets:
            check.choice("targets", target, known)
        if "all-linear" in targets and len(targets) > 1:
            raise ValueError("targets: all-linear stands alone; got " + ",".join(targets))
        object.__setattr__(self, "targets", targets)
        check.boolean("dora", self.dora)
        if self.quant is not None:
            check.choice("quant", self.quant, ("nf4",))
        check.boolean("paged", self.paged)

    def roles(self, model_type: str) -> tuple[str, ...]:
        """The role symbols these targets switch on in ``model_type`` (ValueError if peft would refuse them)."""
        from .families import MODEL_TYPES

        check.choice("model_type", model_type, LORA_MODULES)
        family = MODEL_TYPES[model_type].family
        where = f"the {model_type} family" if family == model_type else f"{model_type} (the {family} family)"
        modules = LORA_MODULES[model_type]
        if self.targets == ("all-linear",):
            if model_type in _names.PEFT_MAMBA:
                raise ValueError(f"targets: peft 0.21.2 refuses all-linear on {model_type}: module 'out_proj' is "
                                 "incompatible with Mamba-based models (incompatible modules: out_proj, conv1d); "
                                 f"name the modules instead ({', '.join(m for m in modules if m != 'out_proj')})")
            return ALL_LINEAR[model_type]
        missing = [t for t in self.targets if t not in modules]
        if missing:
            raise ValueError(f"targets {', '.join(missing)} match no module of {where}; "
                             f"its linear layers are {', '.join(modules)} (or all-linear)")
        if model_type in _names.PEFT_MAMBA and "out_proj" in self.targets:
            raise ValueError(f"targets: peft 0.21.2 refuses out_proj on {model_type}: it is incompatible with "
                             "Mamba-based models (incompatible modules: out_proj, conv1d)")
        for fused, parts in _names.PEFT_MOE_CONVERSION.get(model_type, {}).items():
            named = [p for p in parts if p in self.targets]
            if 0 < len(named) < len(parts):
                raise ValueError(f"targets: peft 0.21.2 cannot convert {', '.join(named)} without also targeting "
                                 f"{', '.join(p for p in parts if p not in named)} because they are fused into "
                                 f"{fused} ({model_type}'s 3-d expert tensor)")
        roles = []
        for target in self.targets:
            roles += [r for r in modules[target] if r not in roles]
        return tuple(roles)

    def symbol_values(self, model_type: str | None = None) -> dict[str, int]:
        """Values of the fine-tuning symbols by name (the roles need ``model_type``; without it none is on)."""
        on = set(self.roles(model_type)) if model_type is not None else set()
        if self.dora and model_type in _names.PEFT_MOE_CONVERSION and on & {"l_experts", "l_experts_down",
                                                                           "l_router"}:
            raise ValueError(f"dora: peft 0.21.2 refuses DoRA on {model_type}'s router and 3-d expert tensors, "
                             "which it adapts as parameters (lora.ParamWrapper does not work with use_dora=True); "
                             "target the attention projections instead")
        return {"r_lora": self.rank, **{role: int(role in on) for role in LORA_ROLES},
                "x_dora": int(self.dora), "x_qlora": int(self.quant == "nf4"), "x_paged": int(self.paged)}
