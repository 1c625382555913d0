"""What the package knows about each model family, in one place, as data.

Two tables:

* :data:`FAMILIES`: the structurally different layouts (``gpt2``, ``llama``,
  ``gpt_neox``, ``mixtral``): how the real code stores its tensors (fused q, k,
  v; 3-d expert tensors), whether it has rotary buffers, and which activation
  accounting of chapter 13 follows its forward pass (or why none does).
* :data:`MODEL_TYPES`: one entry per Hugging Face ``model_type``: the
  declarative map from ``config.json`` keys to the fields of
  :class:`everybyte.config.ModelConfig`, with the default transformers uses when
  a key is missing, and the fields the type fixes.  A llama-like model type is
  one entry here; a structurally new family is one entry in :data:`FAMILIES`
  plus its tensor table (:mod:`everybyte.parameters`) and, if it has one, its
  activation accounting (:mod:`everybyte.activations`).

:mod:`everybyte.hf` reads a ``config.json`` with these tables.  Nothing here
imports SymPy or transformers; the tests check every default against the
installed transformers.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .records import Record

#: Tensors of width d_ff that the feed-forward activation saves for backward in
#: transformers' code (chapter 13): HF's tanh ``gelu_new`` keeps four, the
#: others one.  A config with another activation has no activation accounting.
ACTIVATION_SAVED_TENSORS: dict[str, int] = {"gelu_new": 4, "gelu": 1, "gelu_pytorch_tanh": 1, "silu": 1}


#: Layout switches whose value is 0 unless a family or a model type sets it
#: (fused gate and up, attention sinks, a router score parameter, the buffers).
DEFAULT_SWITCHES: dict[str, int] = {"f_gu": 0, "x_sink": 0, "x_rscore": 0, "x_sincos": 0, "x_mask": 0,
                                    "x_escale": 0, "x_escore": 0, "n_lscal": 0}

#: Learnable parameters of an activation function, per layer (Apertus's xIELU: alpha_p, alpha_n).
ACTIVATION_PARAMETERS: dict[str, int] = {"xielu": 2}


class Family(Record):
    """A structurally distinct layout, as its transformers code builds it.

    ``switches``: values of the layout symbols that the family fixes (by symbol
    name: ``f_qkv`` fused q/k/v, ``f_exp`` 3-d expert tensors).
    ``activations``: the name of the activation accounting that follows its
    forward pass, or ``None`` with ``no_activations`` saying why not.
    ``rotary``: whether the model holds rotary-frequency buffers.
    ``activation_functions``: the ``hidden_act`` values whose saved tensors the
    accounting follows (empty: every one of :data:`ACTIVATION_SAVED_TENSORS`).
    ``mixer`` and ``feed_forward``: the kind of every layer when a config gives
    no pattern (chapter 14).  ``norms``: the norm kinds its table can count.
    ``requires``: config fields its table needs to be positive.  ``section``:
    the book section that derives its table.
    """

    name: str
    label: str
    switches: Mapping[str, int]
    activations: str | None
    no_activations: str = ""
    rotary: bool = True
    activation_functions: tuple[str, ...] = ()
    mixer: str = "full_attention"
    feed_forward: str = "dense"
    norms: tuple[str, ...] = ("layernorm", "rmsnorm")
    requires: tuple[str, ...] = ()
    section: str = "sec-general-formula"
    buffers_label: str = "buffers (rotary frequencies, fp32)"


_ZOO_NORMS = ("layernorm", "rmsnorm", "layernorm_no_bias", "none")
_MOE = "a mixture of experts saves what its router sends to each expert, which depends on the data, so no count " \
       "of its saved tensors holds for every batch"
_NOT_YET = "its forward pass has not been followed tensor by tensor yet"
_BUFFERS = "buffers (rotary frequencies, masks, scales)"

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("gpt2", "GPT-2 (learned positions, LayerNorm, fused q/k/v, GELU)",
               {"f_qkv": 1, "f_exp": 0}, activations="gpt2", rotary=False),
        Family("llama", "Llama (rotary, RMSNorm, SwiGLU, grouped-query attention)",
               {"f_qkv": 0, "f_exp": 0}, activations="llama", activation_functions=("silu",)),
        Family("gpt_neox", "GPT-NeoX (partial rotary, LayerNorm, fused q/k/v, parallel residual)",
               {"f_qkv": 1, "f_exp": 0}, activations="gpt_neox"),
        Family("mixtral", "Mixtral (Llama layers with a mixture of experts)",
               {"f_qkv": 0, "f_exp": 1}, activations=None, no_activations=_MOE, feed_forward="moe"),
        # chapter 14: the architecture zoo
        Family("dense", "dense decoders (chapter 14's general dense formula)", {"f_exp": 0}, activations=None,
               no_activations=_NOT_YET, norms=_ZOO_NORMS, section="sec-zoo-dense", buffers_label=_BUFFERS),
    )
}


class Key(Record):
    """Where a config field comes from: ``config.json`` keys (first present wins) and the default.

    A dotted name (``rope_parameters.partial_rotary_factor``) looks inside a
    nested object.  ``default`` is what transformers uses when no key is there.
    """

    names: tuple[str, ...]
    default: object

    @classmethod
    def of(cls, name: str | tuple[str, ...], default: object) -> "Key":
        return cls((name,) if isinstance(name, str) else tuple(name), default)


class ModelType(Record):
    """One Hugging Face ``model_type``: its family, its key map and the fields it fixes.

    ``switches``: values of layout symbols the type fixes (fused projections,
    its buffers).  ``inputs``: further ``config.json`` keys (with the
    transformers defaults) that ``derive`` turns into fields: a layer pattern
    from ``first_k_dense_replace``, key/value heads from ``multi_query``.
    ``no_activations``: why this type has no activation accounting, where its
    family's reason is not the one.
    """

    model_type: str
    family: str
    keys: Mapping[str, Key]
    fixed: Mapping[str, object] = MappingProxyType({})
    switches: Mapping[str, int] = MappingProxyType({})
    inputs: Mapping[str, Key] = MappingProxyType({})
    derive: object = None
    no_activations: str = ""


#: How each field of ModelConfig is checked when read from a file.
FIELD_KINDS: dict[str, str] = {
    "vocab_size": "count", "d_model": "count", "n_layers": "count", "n_heads": "count",
    "d_ff": "count_or_none", "n_positions": "count", "n_kv_heads": "count_or_none", "head_dim": "count_or_none",
    "n_experts": "count", "experts_per_token": "count",
    "attention_bias": "bool", "output_bias": "bool", "mlp_bias": "bool", "tied_embeddings": "bool",
    "parallel_residual": "bool",
    "activation": "str",
    "embedding_dropout": "rate", "attention_dropout": "rate", "residual_dropout": "rate",
    "rotary_fraction": "fraction",
    "norms_per_layer": "size", "d_shared": "size", "q_lora_rank": "size", "kv_lora_rank": "size",
    "qk_nope_head_dim": "size", "qk_rope_head_dim": "size", "v_head_dim": "size", "ssm_inner": "size",
    "ssm_state": "size", "ssm_heads": "size", "ssm_groups": "count", "ssm_dt_rank": "size", "conv_kernel": "size",
    "linear_key_heads": "size", "linear_value_heads": "size", "linear_key_dim": "size", "linear_value_dim": "size",
    "per_layer_vocab": "size", "per_layer_dim": "size", "max_positions": "size",
    "sliding_window": "count_or_none", "attention_chunk": "count_or_none", "embedding_dim": "count_or_none",
    "d_expert": "count_or_none", "rotary_dim": "count_or_none",
    "qk_norm_bias": "bool", "lm_head_bias": "bool", "embedding_norm": "bool", "shared_expert_gate": "bool",
    "router_bias": "bool", "conv_bias": "bool", "ssm_proj_bias": "bool", "ssm_norm": "bool", "final_norm": "bool",
    "gated_mlp": "bool",
}

K = Key.of

# Keys shared by the llama-like types (transformers' LlamaConfig names).
_LLAMA_KEYS = {
    "vocab_size": K("vocab_size", 32000), "d_model": K("hidden_size", 4096),
    "d_ff": K("intermediate_size", 11008), "n_layers": K("num_hidden_layers", 32),
    "n_heads": K("num_attention_heads", 32), "n_kv_heads": K("num_key_value_heads", None),
    "head_dim": K("head_dim", None), "tied_embeddings": K("tie_word_embeddings", False),
    "activation": K("hidden_act", "silu"), "attention_dropout": K("attention_dropout", 0.0),
}
_LLAMA_FIXED = {"gated_mlp": True, "norm": "rmsnorm", "final_norm": True, "n_positions": 0,
                "embedding_dropout": 0.0, "residual_dropout": 0.0, "parallel_residual": False, "rotary_fraction": 1.0}


def _llama_like(model_type: str, family: str = "llama", keys: Mapping | None = None, **fixed) -> ModelType:
    return ModelType(model_type, family, {**_LLAMA_KEYS, **(keys or {})}, {**_LLAMA_FIXED, **fixed})


MODEL_TYPES: dict[str, ModelType] = {
    m.model_type: m
    for m in (
        ModelType("gpt2", "gpt2", {
            "vocab_size": K("vocab_size", 50257), "n_positions": K("n_positions", 1024),
            "d_model": K("n_embd", 768), "n_layers": K("n_layer", 12), "n_heads": K("n_head", 12),
            "d_ff": K("n_inner", None), "tied_embeddings": K("tie_word_embeddings", True),
            "activation": K("activation_function", "gelu_new"), "embedding_dropout": K("embd_pdrop", 0.1),
            "attention_dropout": K("attn_pdrop", 0.1), "residual_dropout": K("resid_pdrop", 0.1),
        }, {"attention_bias": True, "mlp_bias": True, "final_norm": True, "gated_mlp": False,
            "norm": "layernorm", "n_kv_heads": None, "head_dim": None, "parallel_residual": False,
            "n_experts": 1, "rotary_fraction": 1.0}),
        _llama_like("llama", keys={"attention_bias": K("attention_bias", False), "mlp_bias": K("mlp_bias", False)},
                    output_bias=None, n_experts=1),
        _llama_like("mistral", keys={"d_ff": K("intermediate_size", 14336), "n_kv_heads": K("num_key_value_heads", 8)},
                    attention_bias=False, mlp_bias=False, n_experts=1),
        _llama_like("qwen2", keys={"vocab_size": K("vocab_size", 151936), "d_ff": K("intermediate_size", 22016),
                                   "n_kv_heads": K("num_key_value_heads", 32)},
                    attention_bias=True, output_bias=False, mlp_bias=False, n_experts=1),
        _llama_like("mixtral", family="mixtral",
                    keys={"d_ff": K("intermediate_size", 14336), "n_kv_heads": K("num_key_value_heads", 8),
                          "n_experts": K("num_local_experts", 8), "experts_per_token": K("num_experts_per_tok", 2)},
                    attention_bias=False, mlp_bias=False, router=True),
        ModelType("gpt_neox", "gpt_neox", {
            "vocab_size": K("vocab_size", 50432), "d_model": K("hidden_size", 6144),
            "d_ff": K("intermediate_size", 24576), "n_layers": K("num_hidden_layers", 44),
            "n_heads": K("num_attention_heads", 64), "attention_bias": K("attention_bias", True),
            "parallel_residual": K("use_parallel_residual", True), "tied_embeddings": K("tie_word_embeddings", False),
            "activation": K("hidden_act", "gelu"), "attention_dropout": K("attention_dropout", 0.0),
            # GPT-NeoX drops the embeddings and both residual branches with hidden_dropout.
            "residual_dropout": K("hidden_dropout", 0.0), "embedding_dropout": K("hidden_dropout", 0.0),
            "rotary_fraction": K(("rope_parameters.partial_rotary_factor", "partial_rotary_factor", "rotary_pct"),
                                 0.25),
        }, {"mlp_bias": True, "output_bias": None, "final_norm": True, "gated_mlp": False, "norm": "layernorm",
            "n_positions": 0, "n_kv_heads": None, "head_dim": None, "n_experts": 1}),
    )
}

SUPPORTED_MODEL_TYPES: tuple[str, ...] = tuple(MODEL_TYPES)


def model_type_entry(model_type: str) -> ModelType:
    """The registry entry of ``model_type`` (ValueError naming the supported ones)."""
    if not isinstance(model_type, str) or model_type not in MODEL_TYPES:
        raise ValueError(f"model_type must be one of {', '.join(SUPPORTED_MODEL_TYPES)}; got {model_type!r}")
    return MODEL_TYPES[model_type]


def switches_of(model_type: str) -> dict[str, int]:
    """The layout switches ``model_type`` fixes: the defaults, then its family's, then its own."""
    entry = model_type_entry(model_type)
    family = FAMILIES[entry.family]
    return {**DEFAULT_SWITCHES, "n_rot": int(family.rotary), **family.switches, **entry.switches}


def family_of(model_type: str) -> Family:
    """The family whose layout ``model_type`` has."""
    return FAMILIES[model_type_entry(model_type).family]
