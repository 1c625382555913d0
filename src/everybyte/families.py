"""What the package knows about each model family, in one place, as data.

Two tables (and :data:`REFUSED`, the causal-LM types refused with the reason):

* :data:`FAMILIES`: the structurally different layouts (chapter 12's ``gpt2``,
  ``llama``, ``gpt_neox``, ``mixtral``; chapter 14's ``dense``, ``moe``,
  ``deepseek``, ``mamba``, ``hybrid``, ``opt`` and the dense families with an
  activation accounting): which tensor table counts it
  (:data:`everybyte.tables.TABLE_BY_NAME`), how the real code stores its
  tensors (fused q, k, v; 3-d expert tensors), and which activation accounting
  of chapters 13 and 14 follows its forward pass (or why none does).
* :data:`MODEL_TYPES`: one entry per Hugging Face ``model_type``: the
  declarative map from ``config.json`` keys to the fields of
  :class:`everybyte.config.ModelConfig`, with the default transformers uses when
  a key is missing, the fields and switches the type fixes, and where the
  config states a layer pattern a ``derive`` function that reads it (as the
  transformers config class does).  A llama-like model type is one entry
  here; a structurally new family is one entry in :data:`FAMILIES` plus its
  tensor table (:mod:`everybyte.tables`, built from
  :mod:`everybyte.components`) and, if it has one, its activation accounting
  (:mod:`everybyte.activations`).

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
DEFAULT_SWITCHES: dict[str, int] = {"f_qkv": 0, "f_gu": 0, "f_lin": 0, "x_mup": 0, "x_sink": 0, "x_rscore": 0, "x_sincos": 0, "x_mask": 0, "x_qk2d": 0,
                                    "x_escale": 0, "x_escore": 0, "n_lscal": 0}

#: Learnable parameters of an activation function, per layer (Apertus's xIELU: alpha_p, alpha_n).
ACTIVATION_PARAMETERS: dict[str, int] = {"xielu": 2}
#: Constant fp32 scalars an activation function keeps as buffers, per layer (xIELU: beta, eps).
ACTIVATION_BUFFERS: dict[str, int] = {"xielu": 2}


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
    table: str = "decoder"
    dropouts: tuple[str, ...] = ("embedding_dropout", "attention_dropout", "residual_dropout")
    attentions: tuple[str, ...] = ("eager", "sdpa")
    partial_rotary: bool = False
    no_kv_cache: str = ""


_ZOO_NORMS = ("layernorm", "rmsnorm", "layernorm_no_bias", "none")
_MOE = "a mixture of experts saves what its router sends to each expert, which depends on the data, so no count " \
       "of its saved tensors holds for every batch"
_NOT_YET = "its forward pass has not been followed tensor by tensor yet"
_BUFFERS = "buffers (rotary frequencies, masks, scales)"
_SSM = ("a Mamba or DeltaNet mixer's saved tensors depend on the kernel (a fused CUDA kernel, or the PyTorch scan "
        "chunk by chunk); they have not been followed tensor by tensor yet")

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("gpt2", "GPT-2 (learned positions, LayerNorm, fused q/k/v, GELU)",
               {"f_qkv": 1, "f_exp": 0}, activations="gpt2", rotary=False),
        Family("llama", "Llama (rotary, RMSNorm, SwiGLU, grouped-query attention)",
               {"f_qkv": 0, "f_exp": 0}, activations="llama", activation_functions=("silu",),
               dropouts=("attention_dropout",)),
        Family("gpt_neox", "GPT-NeoX (partial rotary, LayerNorm, fused q/k/v, parallel residual)",
               {"f_qkv": 1, "f_exp": 0}, activations="gpt_neox", partial_rotary=True),
        Family("mixtral", "Mixtral (Llama layers with a mixture of experts)",
               {"f_qkv": 0, "f_exp": 1}, activations=None, no_activations=_MOE, feed_forward="moe"),
        # chapter 14: the architecture zoo
        Family("moe", "mixtures of experts (chapter 14's MoE formula: dense and MoE layers, shared experts)",
               {"f_exp": 1}, activations=None, no_activations=_MOE, feed_forward="moe", norms=_ZOO_NORMS,
               section="sec-zoo-moe", buffers_label=_BUFFERS, table="moe"),
        Family("deepseek", "DeepSeek-V2/V3 (multi-head latent attention, shared experts, dense-then-MoE layers)",
               {"f_exp": 1}, activations=None, no_activations=_MOE, feed_forward="moe", norms=("rmsnorm",),
               requires=("kv_lora_rank", "v_head_dim"), section="sec-zoo-mla", buffers_label=_BUFFERS,
               table="latent",
               no_kv_cache="latent attention caches h keys of d_nope + d_rope and h values of d_v channels in "
                           "transformers (or r_kv + d_rope latent channels, absorbed)"),
        Family("mamba", "Mamba-1 and Mamba-2 (state-space mixers, no attention, no feed-forward block)",
               {"f_exp": 0}, activations=None, no_activations=_SSM, rotary=False, mixer="mamba",
               feed_forward="none", norms=("rmsnorm",), requires=("ssm_inner", "ssm_state", "conv_kernel"),
               section="sec-zoo-ssm", buffers_label=_BUFFERS, table="mamba",
               no_kv_cache="Mamba keeps a fixed-size convolution and state cache per layer, no keys and values"),
        Family("hybrid", "hybrid stacks (attention with Mamba, gated-DeltaNet or convolution layers)",
               {"f_exp": 1}, activations=None, no_activations=_SSM, norms=("rmsnorm",), section="sec-zoo-ssm",
               buffers_label=_BUFFERS, table="hybrid",
               no_kv_cache="only its attention layers cache keys and values; its Mamba, DeltaNet and convolution "
                           "layers keep fixed-size states"),
        Family("opt", "OPT (learned positions with two extra rows, projected word embeddings)", {"f_exp": 0},
               activations=None, no_activations=_NOT_YET, rotary=False, norms=("layernorm", "none"),
               section="sec-zoo-opt", buffers_label=_BUFFERS, table="opt"),
        Family("starcoder2", "StarCoder2 (LayerNorm, plain MLP with biases, grouped-query attention)",
               {"f_qkv": 0, "f_exp": 0}, activations="starcoder2", section="sec-zoo-dense",
               dropouts=("attention_dropout",)),
        Family("qwen3", "Qwen3 (Llama layers with a d_head RMSNorm of q and of k)", {"f_exp": 0},
               activations="qwen3", activation_functions=("silu",), norms=("rmsnorm",), section="sec-zoo-dense",
               table="dense", dropouts=("attention_dropout",)),
        Family("olmo2", "OLMo 2 (norms after attention and MLP, full-width q/k norms)", {"f_exp": 0},
               activations="olmo2", activation_functions=("silu",), norms=("rmsnorm",), section="sec-zoo-dense",
               table="dense", dropouts=("attention_dropout",)),
        Family("phi3", "Phi-3 (fused q/k/v and gate/up projections)", {"f_exp": 0}, activations="phi3",
               activation_functions=("silu",), norms=("rmsnorm",), section="sec-zoo-dense", table="dense",
               dropouts=("attention_dropout",)),
        Family("gemma2", "Gemma 2 (four norms a layer, 1 + weight RMSNorm, soft caps, scaled embeddings)",
               {"f_exp": 0}, activations="gemma2", activation_functions=("gelu_pytorch_tanh",), norms=("rmsnorm",),
               section="sec-zoo-dense", table="dense", buffers_label=_BUFFERS, dropouts=("attention_dropout",),
               attentions=("eager",)),
        Family("gemma3", "Gemma 3 (Gemma 2 with q/k norms, no soft caps, two rotaries)", {"f_exp": 0},
               activations="gemma3", activation_functions=("gelu_pytorch_tanh",), norms=("rmsnorm",),
               section="sec-zoo-dense", table="dense", buffers_label=_BUFFERS, dropouts=("attention_dropout",)),
        Family("dense", "dense decoders (chapter 14's general dense formula)", {"f_exp": 0}, activations=None,
               no_activations=_NOT_YET, norms=_ZOO_NORMS, section="sec-zoo-dense", buffers_label=_BUFFERS,
               table="dense"),
    )
}


class Key:
    """Where a config field comes from: ``config.json`` keys (first present wins) and the default.

    A dotted name (``rope_parameters.partial_rotary_factor``) looks inside a
    nested object.  ``default`` is what transformers uses when no key is there.
    (A plain slotted class rather than a :class:`Record`: the registry holds
    some 800 keys, and the command line builds them at every start.)
    """

    __slots__ = ("names", "default")

    def __init__(self, names: tuple[str, ...], default: object):
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "default", default)

    @classmethod
    def of(cls, name: str | tuple[str, ...], default: object) -> "Key":
        return cls((name,) if isinstance(name, str) else name, default)

    def __setattr__(self, name, value):
        raise AttributeError("Key is frozen")

    def __eq__(self, other):
        return isinstance(other, Key) and (self.names, self.default) == (other.names, other.default)

    def __hash__(self):
        return hash((self.names, repr(self.default)))

    def __repr__(self):
        return f"Key(names={self.names!r}, default={self.default!r})"


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
    "n_experts": "count",
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
    "d_expert": "count_or_none", "rotary_dim": "count_or_none", "experts_per_token": "count_or_none",
    "qk_norm_bias": "bool", "lm_head_bias": "bool", "embedding_norm": "bool", "shared_expert_gate": "bool",
    "router_bias": "bool", "conv_bias": "bool", "ssm_proj_bias": "bool", "ssm_norm": "bool", "final_norm": "bool",
    "gated_mlp": "bool", "ssm_out_bias": "bool", "moe_latent": "count_or_none",
    "attention_softcap": "present", "logit_softcap": "present",
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


def _std(vocab, hidden, ff, layers, heads, *, kv, head, tie, act="silu") -> dict[str, Key]:
    """The llama-named keys with one type's transformers defaults."""
    return {"vocab_size": K("vocab_size", vocab), "d_model": K("hidden_size", hidden),
            "d_ff": K("intermediate_size", ff), "n_layers": K("num_hidden_layers", layers),
            "n_heads": K("num_attention_heads", heads), "n_kv_heads": K("num_key_value_heads", kv),
            "head_dim": K("head_dim", head), "tied_embeddings": K("tie_word_embeddings", tie),
            "activation": K("hidden_act", act), "attention_dropout": K("attention_dropout", 0.0)}


def _LLAMA_BUT(what: str) -> str:
    return (f"{what} saves other tensors than Llama's code under bf16 autocast with sdpa (measured: more bytes "
            "per layer); the llama accounting does not follow it yet")


def _no_dropout_key(keys: dict) -> dict:
    """ERNIE 4.5 hard-codes attention_dropout = 0.0: its config has no such key."""
    return {k: v for k, v in keys.items() if k != "attention_dropout"}


#: What the llama-like dense types fix (RMSNorm, gated MLP without biases, two norms per layer).
_DENSE_LLAMA = {"gated_mlp": True, "norm": "rmsnorm", "norms_per_layer": 2, "final_norm": True, "n_positions": 0,
                "mlp_bias": False, "embedding_dropout": 0.0, "residual_dropout": 0.0, "parallel_residual": False,
                "rotary_fraction": 1.0, "n_experts": 1}
#: What the Mamba types fix (no attention: one "head"; one RMSNorm per layer).
_SSM_FIXED = {"n_heads": 1, "n_kv_heads": None, "head_dim": None, "norm": "rmsnorm", "norms_per_layer": 1,
              "final_norm": True, "n_positions": 0, "gated_mlp": False, "attention_bias": False, "mlp_bias": False,
              "embedding_dropout": 0.0, "attention_dropout": 0.0, "residual_dropout": 0.0, "n_experts": 1}
_LINEAR_KINDS = {"linear_attention": "linear_attention", "full_attention": "full_attention"}

#: What the GPT-like dense types fix (LayerNorm, plain MLP with biases).
_DENSE_GPT = {"gated_mlp": False, "norm": "layernorm", "norms_per_layer": 2, "final_norm": True, "n_positions": 0,
              "attention_bias": True, "output_bias": True, "mlp_bias": True, "parallel_residual": False,
              "n_kv_heads": None, "head_dim": None, "rotary_fraction": 1.0, "n_experts": 1}



# --- layer patterns and derived fields (chapter 14) ----------------------------------------------
# Each ``derive`` function gets the values of a type's ``inputs`` (the file's, or
# transformers' defaults) and the fields read so far, and returns more fields.
# They replicate what the transformers config class and model code compute
# (a layer pattern from first_k_dense_replace, h_kv from multi_query, ...).


def _integer(key: str, value, *, none: bool = False, zero: bool = False):
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
        what = "a non-negative integer" if zero else "a positive integer"
        raise ValueError(f"{key} must be {what}{' or null' if none else ''}, got {value!r}")
    return value


def _flag(key: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false, got {value!r}")
    return value


def _indices(key: str, value, n_layers: int) -> frozenset:
    if value is None:
        return frozenset()
    if not isinstance(value, (list, tuple)) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                       for i in value):
        raise ValueError(f"{key} must be a list of layer indices, got {value!r}")
    return frozenset(value)


def _pattern(key: str, value, n_layers: int, names: Mapping[str, str]) -> tuple[str, ...]:
    """A per-layer list of a config (``layer_types``), mapped to the package's kinds."""
    if not isinstance(value, (list, tuple)) or len(value) != n_layers:
        raise ValueError(f"{key} must be a list of one entry per layer ({n_layers}), got {value!r}")
    out = []
    for kind in value:
        if kind not in names:
            raise ValueError(f"{key} entries must be among {', '.join(sorted(names))}; got {kind!r}")
        out.append(names[kind])
    return tuple(out)


_ATTENTION_KINDS = {"full_attention": "full_attention", "sliding_attention": "sliding_attention",
                    "chunked_attention": "chunked_attention"}


def _described(factory):
    """``factory``, whose results carry ``spec``: the factory's name and its arguments, all positional.

    A derive function is made of these factories and of plain named functions;
    :func:`derive_spec` writes one out as data (the browser calculator runs its
    hand-written port of each piece from that description).
    """
    code = factory.__code__
    names = code.co_varnames[:code.co_argcount]
    defaults = dict(zip(names[len(names) - len(factory.__defaults__ or ()):], factory.__defaults__ or ()))

    def make(*args, **kwargs):
        made = factory(*args, **kwargs)
        if code.co_flags & 0x04:  # *args: every argument as given
            bound = list(args)
        else:
            given = {**dict(zip(names, args)), **kwargs}
            bound = [given[name] if name in given else defaults[name] for name in names]
        made.spec = [factory.__name__, *bound]
        return made

    make.__name__ = factory.__name__
    make.__doc__ = factory.__doc__
    return make


def derive_spec(value):
    """A derive function (or an argument of one) as data: ``[factory, arg, ...]``, a function's name, or the value.

    Raises ``ValueError`` for a function that is neither a named function nor
    made by a described factory (a lambda could not be ported by name).
    """
    if callable(value):
        if hasattr(value, "spec"):
            return [value.spec[0], *(derive_spec(a) for a in value.spec[1:])]
        if value.__name__.startswith("<"):
            raise ValueError(f"derive function {value!r} has no name: make it a named function or a described factory")
        return value.__name__
    if isinstance(value, tuple):
        return [derive_spec(v) for v in value]
    if isinstance(value, Mapping):
        return {k: derive_spec(v) for k, v in value.items()}
    return value


@_described
def _steps(*steps):
    """One derive function running ``steps`` in order, each seeing the fields of those before."""
    def derive(inputs, fields):
        out = {}
        for step in steps:
            out.update(step(inputs, {**fields, **out}))
        return out
    return derive


def _window_everywhere(inputs, fields):
    """Mistral's rule: with a sliding_window every layer attends to that window (no layer_types)."""
    window = _integer("sliding_window", inputs["sliding_window"], none=True)
    if "use_sliding_window" in inputs and not _flag("use_sliding_window", inputs["use_sliding_window"]):
        window = None
    return {"sliding_window": window,
            "layer_types": None if window is None else ("sliding_attention",) * fields["n_layers"]}


@_described
def _attention_pattern(rule):
    """``layer_types`` from the file, else ``rule(i, inputs, fields)`` for each layer (the config class's default)."""
    def step(inputs, fields):
        n = fields["n_layers"]
        window = _integer("sliding_window", inputs.get("sliding_window"), none=True)
        if inputs.get("layer_types") is not None:
            kinds = _pattern("layer_types", inputs["layer_types"], n, _ATTENTION_KINDS)
        else:
            kinds = tuple(rule(i, inputs, fields) for i in range(n))
        return {"layer_types": kinds, "sliding_window": window if "sliding_attention" in kinds else None}
    return step


def _rotary_per_kind(inputs, fields):
    """Gemma 3, OLMo 3: one set of rotary frequencies for each kind of attention layer the model has."""
    return {"rotary_sets": len(set(fields["layer_types"]))}


@_described
def _every(period_key: str | None, default_period: int, first: str, rest: str, offset: int = 1):
    """Layer i is ``rest`` where (i + offset) % period == 0, else ``first`` (Gemma 2/3, Cohere 2, OLMo 3).

    The period is the input ``period_key`` (a key only the config class's
    ``__init__`` reads), or ``default_period`` where the class fixes it.
    """
    def rule(i, inputs, fields):
        period = default_period if period_key is None else _integer(period_key, inputs[period_key])
        return rest if (i + offset) % period == 0 else first
    return rule


def _qwen_sliding(i, inputs, fields):
    """Qwen2/Qwen3: layers from max_window_layers on slide, where use_sliding_window."""
    used = _flag("use_sliding_window", inputs["use_sliding_window"]) and inputs["sliding_window"] is not None
    return "sliding_attention" if used and i >= _integer("max_window_layers", inputs["max_window_layers"],
                                                         zero=True) else "full_attention"


_QWEN_WINDOW = {"layer_types": Key.of("layer_types", None), "sliding_window": Key.of("sliding_window", 4096),
                "use_sliding_window": Key.of("use_sliding_window", False),
                "max_window_layers": Key.of("max_window_layers", 28)}


def _qwen_moe_sliding(i, inputs, fields):
    """Qwen2-MoE: odd layers below max_window_layers slide, where use_sliding_window."""
    used = _flag("use_sliding_window", inputs["use_sliding_window"])
    below = i < _integer("max_window_layers", inputs["max_window_layers"], zero=True)
    return "sliding_attention" if used and (i + 1) % 2 and below else "full_attention"


def _llama4_chunked(i, inputs, fields):
    """Llama 4: layers without rotary (no_rope_layers[i] == 0) attend to all; the others to their chunk."""
    no_rope = inputs["no_rope_layers"]
    interval = _integer("no_rope_layer_interval", inputs["no_rope_layer_interval"])
    uses_rope = no_rope[i] if no_rope else int((i + 1) % interval != 0)
    chunked = uses_rope and inputs["attention_chunk_size"] is not None
    return "chunked_attention" if chunked else "full_attention"


def _exaone4_sliding(i, inputs, fields):
    """EXAONE 4: every sliding_window_pattern-th layer is global; none slides without a sliding_window."""
    if inputs["sliding_window"] is None:
        return "full_attention"
    period = _integer("sliding_window_pattern", inputs["sliding_window_pattern"])
    return "sliding_attention" if (i + 1) % period != 0 else "full_attention"


def _smollm3_sliding(i, inputs, fields):
    no_rope = inputs["no_rope_layers"]
    interval = _integer("no_rope_layer_interval", inputs["no_rope_layer_interval"])
    has_rope = no_rope[i] if isinstance(no_rope, (list, tuple)) and i < len(no_rope) else int((i + 1) % interval != 0)
    used = _flag("use_sliding_window", inputs["use_sliding_window"]) and inputs["sliding_window"] is not None
    return "sliding_attention" if used and not has_rope else "full_attention"


@_described
def _every_layer(field: str, kind: str):
    """``field`` (``layer_types`` or ``ffn_types``) names ``kind`` for every layer."""
    def step(inputs, fields):
        return {field: (kind,) * fields["n_layers"]}
    return step


def _sliding_if_window(i, inputs, fields):
    return "sliding_attention" if inputs["sliding_window"] is not None else "full_attention"


def _gptj(inputs, fields):
    # GPT-J's sin/cos table covers rotary_dim channels, or the whole width without one.
    return {"rotary_dim": _integer("rotary_dim", inputs["rotary_dim"], none=True) or fields["d_model"]}


def _falcon(inputs, fields):
    new = _flag("new_decoder_architecture", bool(inputs["new_decoder_architecture"]))
    parallel = _flag("parallel_attn", inputs["parallel_attn"])
    bias = _flag("bias", inputs["bias"])
    lns = inputs["num_ln_in_parallel_attn"]
    if lns is None and new:
        lns = 2
    if new:
        kv = _integer("num_kv_heads", inputs["num_kv_heads"], none=True) or fields["n_heads"]
    else:
        kv = 1 if _flag("multi_query", inputs["multi_query"]) else fields["n_heads"]
    return {"n_kv_heads": kv, "norms_per_layer": 2 if (not parallel or lns == 2) else 1,
            "parallel_residual": parallel, "attention_bias": bias, "output_bias": bias, "mlp_bias": bias}


def _gpt_bigcode(inputs, fields):
    multi_query = _flag("multi_query", inputs["multi_query"])
    return {"n_kv_heads": 1 if multi_query else None, "max_positions": fields["n_positions"]}


def _stablelm(inputs, fields):
    return {"qk_norm": "each_head" if _flag("qk_layernorm", inputs["qk_layernorm"]) else "none",
            "norms_per_layer": 1 if fields["parallel_residual"] else 2}


def _phi(inputs, fields):
    on = _flag("qk_layernorm", inputs["qk_layernorm"])
    return {"qk_norm": "head" if on else "none", "qk_norm_bias": on}


@_described
def _qk_option(key: str, kind: str):
    def step(inputs, fields):
        return {"qk_norm": kind if _flag(key, inputs[key]) else "none"}
    return step



@_described
def _moe_pattern(rule):
    """``ffn_types`` of a mixture of experts: ``rule(i, inputs, fields)`` is True where layer i is MoE."""
    def step(inputs, fields):
        return {"ffn_types": tuple("moe" if rule(i, inputs, fields) else "dense" for i in range(fields["n_layers"]))}
    return step


def _sparse_step(i, inputs, fields):
    """Qwen-MoE: MoE unless listed in mlp_only_layers, every decoder_sparse_step-th layer."""
    step = _integer("decoder_sparse_step", inputs["decoder_sparse_step"])
    dense = _indices("mlp_only_layers", inputs["mlp_only_layers"], fields["n_layers"])
    return i not in dense and fields["n_experts"] > 0 and (i + 1) % step == 0


def _first_k_dense(i, inputs, fields):
    """DeepSeek, GLM-4-MoE: the first first_k_dense_replace layers are dense."""
    return i >= _integer("first_k_dense_replace", inputs["first_k_dense_replace"], zero=True)


def _listed_moe_layers(i, inputs, fields):
    """Llama 4: the layers in moe_layers, by default every interleave_moe_layer_step-th from step - 1."""
    listed = inputs["moe_layers"]
    if listed is None:
        step = _integer("interleave_moe_layer_step", inputs["interleave_moe_layer_step"])
        return i >= step - 1 and (i - (step - 1)) % step == 0
    return i in _indices("moe_layers", listed, fields["n_layers"])


def _ernie_moe(i, inputs, fields):
    end = inputs["moe_layer_end_index"]
    end = fields["n_layers"] - 1 if end == -1 else end
    interval = _integer("moe_layer_interval", inputs["moe_layer_interval"])
    return (i + 1) % interval == 0 and _integer("moe_layer_start_index", inputs["moe_layer_start_index"],
                                                zero=True) <= i <= end


@_described
def _shared_experts(count_key: str, width_key: str = "moe_intermediate_size", always: bool = True):
    """Shared experts of n routed-expert widths (DeepSeek, GLM-4-MoE, ERNIE), as one MLP."""
    def step(inputs, fields):
        n = _integer(count_key, inputs[count_key], zero=True)
        width = _integer(width_key, inputs[width_key])
        return {"d_shared": n * width, "shared_expert": always or n > 0}
    return step


def _latent(inputs, fields):
    """DeepSeek: q_lora_rank null means an uncompressed query; rotary turns qk_rope_head_dim channels."""
    q_rank = _integer("q_lora_rank", inputs["q_lora_rank"], none=True)
    if fields["experts_per_token"] is None:
        raise ValueError("num_experts_per_tok is null (transformers' default for this type): the router's top-k "
                         "is needed for the parameters a token passes through; give num_experts_per_tok")
    return {"q_lora_rank": q_rank or 0, "rotary_dim": fields["qk_rope_head_dim"]}


def _floor_head_dim(inputs, fields):
    """GLM-4-MoE: head_dim defaults to hidden_size // num_attention_heads, rounded down."""
    return {"head_dim": fields["head_dim"] or fields["d_model"] // fields["n_heads"]}


def _olmoe(inputs, fields):
    # OLMoE's q/k norms have hidden_size and (hidden_size / heads) * kv_heads channels: its code runs only
    # where the heads tile hidden_size.
    if fields["head_dim"] is not None and fields["head_dim"] * fields["n_heads"] != fields["d_model"]:
        raise ValueError(f"head_dim={fields['head_dim']} must be hidden_size / num_attention_heads: OLMoE's q/k "
                         "norms are hidden_size wide, so transformers cannot run another head width")
    return {}



@_described
def _expand(key_expand: str, key_inner: str | None = None):
    """Mamba's inner width: int(expand * hidden_size), unless the config gives it (Falcon-H1's mamba_d_ssm)."""
    def step(inputs, fields):
        inner = inputs.get(key_inner) if key_inner else None
        if inner is None:
            expand = inputs[key_expand]
            if isinstance(expand, bool) or not isinstance(expand, (int, float)) or expand <= 0:
                raise ValueError(f"{key_expand} must be a positive number, got {expand!r}")
            inner = int(expand * fields["d_model"])
        return {"ssm_inner": _integer(key_inner or key_expand, inner)}
    return step


@_described
def _time_step_rank(key: str):
    def step(inputs, fields):
        rank = inputs[key]
        return {"ssm_dt_rank": -(-fields["d_model"] // 16) if rank == "auto" else _integer(key, rank)}
    return step


def _jamba(inputs, fields):
    n = fields["n_layers"]
    period, offset = (_integer(k, inputs[k], zero=k.endswith("offset")) for k in ("attn_layer_period",
                                                                                  "attn_layer_offset"))
    e_period, e_offset = (_integer(k, inputs[k], zero=k.endswith("offset")) for k in ("expert_layer_period",
                                                                                      "expert_layer_offset"))
    moe = fields["n_experts"] > 1
    more = {} if moe else {"experts_per_token": 1}  # one expert: every layer dense, no router
    return {**more, "layer_types": tuple("full_attention" if i % period == offset else "mamba" for i in range(n)),
            "ffn_types": tuple("moe" if moe and i % e_period == e_offset else "dense" for i in range(n))}


_BLOCKS = {"linear_attention": ("mamba", "none"), "mamba": ("mamba", "none"), "full_attention": ("full_attention", "none"),
           "attention": ("full_attention", "none"), "mlp": ("none", "dense"), "moe": ("none", "moe")}
_PATTERN_LETTERS = {"M": "linear_attention", "E": "moe", "*": "full_attention", "-": "mlp"}


def _nemotron_h(inputs, fields):
    """Nemotron-H: one block per layer, a Mamba-2 mixer, attention, an MLP or a mixture of experts."""
    blocks = inputs["layers_block_type"]
    if blocks is None and inputs["hybrid_override_pattern"] is not None:
        pattern = inputs["hybrid_override_pattern"]
        if not isinstance(pattern, str) or set(pattern) - set(_PATTERN_LETTERS):
            raise ValueError(f"hybrid_override_pattern must be a string of M, E, * and -, got {pattern!r}")
        blocks = [_PATTERN_LETTERS[c] for c in pattern]
    if blocks is None:
        blocks = ["linear_attention", "moe", "full_attention", "mlp"]
    kinds = _pattern("layers_block_type", blocks, len(blocks) if isinstance(blocks, (list, tuple)) else -1, _BLOCKS)
    return {"n_layers": len(kinds), "layer_types": tuple(k[0] for k in kinds), "ffn_types": tuple(k[1] for k in kinds),
            "ssm_inner": _integer("mamba_num_heads", inputs["mamba_num_heads"])
            * _integer("mamba_head_dim", inputs["mamba_head_dim"])}


def _granite_hybrid(inputs, fields):
    """Granite 4 hybrid: Mamba-2 or attention layers; a shared MLP in every layer, experts where configured."""
    n = fields["n_layers"]
    types = inputs["layer_types"] or ["linear_attention"] * n
    kinds = _pattern("layer_types", types, n, {"linear_attention": "mamba", "mamba": "mamba",
                                               "attention": "full_attention", "full_attention": "full_attention"})
    experts = _integer("num_local_experts", inputs["num_local_experts"], zero=True)
    shared = _integer("shared_intermediate_size", inputs["shared_intermediate_size"])
    rope = inputs["position_embedding_type"] == "rope"
    if experts:
        return {"layer_types": kinds, "ffn_types": ("moe",) * n, "n_experts": experts, "d_shared": shared,
                "shared_expert": True, "rotary_sets": int(rope)}
    return {"layer_types": kinds, "ffn_types": ("dense",) * n, "n_experts": 1, "experts_per_token": 1, "d_ff": shared,
            "rotary_sets": int(rope)}


def _linear_layers(i, inputs, fields):
    """Qwen3-Next, Qwen3.5: every full_attention_interval-th layer attends, the others are gated DeltaNets."""
    interval = _integer("full_attention_interval", inputs["full_attention_interval"])
    return "full_attention" if (i + 1) % interval == 0 else "linear_attention"


@_described
def _mixer_pattern(rule, names):
    def step(inputs, fields):
        n = fields["n_layers"]
        if inputs.get("layer_types") is not None:
            return {"layer_types": _pattern("layer_types", inputs["layer_types"], n, names)}
        return {"layer_types": tuple(rule(i, inputs, fields) for i in range(n))}
    return step


def _lfm2(inputs, fields):
    """LFM2: attention at full_attn_idxs, short convolutions elsewhere; an MLP width adjusted as LLaMA's."""
    n = fields["n_layers"]
    if inputs["layer_types"] is not None:
        kinds = _pattern("layer_types", inputs["layer_types"], n, {"full_attention": "full_attention", "conv": "conv"})
    else:
        idxs = _indices("full_attn_idxs", inputs["full_attn_idxs"], n) if inputs["full_attn_idxs"] is not None \
            else frozenset(range(n))
        kinds = tuple("full_attention" if i in idxs else "conv" for i in range(n))
    width = fields["d_ff"]
    if _flag("block_auto_adjust_ff_dim", inputs["block_auto_adjust_ff_dim"]):
        width = int(2 * width / 3)
        multiplier = inputs["block_ffn_dim_multiplier"]
        if multiplier is not None:
            multiple = _integer("block_multiple_of", inputs["block_multiple_of"])
            width = int(multiplier * width)
            width = multiple * ((width + multiple - 1) // multiple)
    return {"layer_types": kinds, "d_ff": width}


def _opt(inputs, fields):
    before = _flag("do_layer_norm_before", inputs["do_layer_norm_before"])
    removed = _flag("_remove_final_layer_norm", inputs["_remove_final_layer_norm"])
    affine = _flag("layer_norm_elementwise_affine", inputs["layer_norm_elementwise_affine"])
    return {"final_norm": before and not removed, "norm": "layernorm" if affine else "none",
            "n_positions": _integer("max_position_embeddings", inputs["max_position_embeddings"])}


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
                    attention_bias=False, mlp_bias=False, n_experts=1).replace(
            inputs={"sliding_window": K("sliding_window", 4096)}, derive=_window_everywhere),
        _llama_like("qwen2", keys={"vocab_size": K("vocab_size", 151936), "d_ff": K("intermediate_size", 22016),
                                   "n_kv_heads": K("num_key_value_heads", 32)},
                    attention_bias=True, output_bias=False, mlp_bias=False, n_experts=1).replace(
            inputs=_QWEN_WINDOW, derive=_attention_pattern(_qwen_sliding)),
        _llama_like("mixtral", family="mixtral",
                    keys={"d_ff": K("intermediate_size", 14336), "n_kv_heads": K("num_key_value_heads", 8),
                          "n_experts": K("num_local_experts", 8), "experts_per_token": K("num_experts_per_tok", 2)},
                    attention_bias=False, mlp_bias=False, router=True).replace(
            inputs={"sliding_window": K("sliding_window", None)}, derive=_window_everywhere),
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
        # --- chapter 14: dense decoders -------------------------------------------------------
        _llama_like("internlm3", keys={"vocab_size": K("vocab_size", 128512), "d_ff": K("intermediate_size", 10240),
                                       "n_layers": K("num_hidden_layers", 48), "n_kv_heads": K("num_key_value_heads", 2),
                                       "head_dim": K("head_dim", 128),
                                       "attention_bias": K(("attention_bias", "qkv_bias"), False),
                                       "mlp_bias": K(("mlp_bias", "bias"), False)}, output_bias=None, n_experts=1),
        _llama_like("exaone", keys={"vocab_size": K("vocab_size", 102400), "d_ff": K("intermediate_size", 14336),
                                    "n_layers": K(("num_hidden_layers", "num_layers"), 32),
                                    "n_kv_heads": K("num_key_value_heads", 8), "head_dim": K("head_dim", None),
                                    "activation": K(("hidden_act", "activation_function"), "silu"),
                                    "attention_bias": K("attention_bias", False), "mlp_bias": K("mlp_bias", False)},
                    output_bias=None, n_experts=1),
        ModelType("gptj", "dense", {
            "vocab_size": K("vocab_size", 50400), "d_model": K(("n_embd", "hidden_size"), 4096),
            "n_layers": K(("n_layer", "num_hidden_layers"), 28), "n_heads": K(("n_head", "num_attention_heads"), 16),
            "d_ff": K("n_inner", None), "tied_embeddings": K("tie_word_embeddings", False),
            "activation": K("activation_function", "gelu_new"), "embedding_dropout": K("embd_pdrop", 0.0),
            "attention_dropout": K("attn_pdrop", 0.0), "residual_dropout": K("resid_pdrop", 0.0),
            "max_positions": K(("n_positions", "max_position_embeddings"), 2048),
        }, {**_DENSE_GPT, "attention_bias": False, "output_bias": False, "norms_per_layer": 1, "lm_head_bias": True,
            "parallel_residual": True},
            switches={"f_qkv": 0, "n_rot": 0, "x_sincos": 1}, inputs={"rotary_dim": K("rotary_dim", 64)},
            derive=_gptj),
        ModelType("bloom", "dense", {
            "vocab_size": K("vocab_size", 250880), "d_model": K(("hidden_size", "n_embed"), 64),
            "n_layers": K(("n_layer", "num_hidden_layers"), 2), "n_heads": K(("n_head", "num_attention_heads"), 8),
            "tied_embeddings": K("tie_word_embeddings", True), "attention_dropout": K("attention_dropout", 0.0),
            "residual_dropout": K("hidden_dropout", 0.0),
        }, {**_DENSE_GPT, "d_ff": None, "embedding_norm": True, "activation": "gelu_pytorch_tanh"},
            switches={"f_qkv": 1, "n_rot": 0}),
        ModelType("falcon", "dense", {
            "vocab_size": K("vocab_size", 65024), "d_model": K("hidden_size", 4544),
            "n_layers": K(("num_hidden_layers", "n_layer"), 32), "n_heads": K(("num_attention_heads", "n_head"), 71),
            "d_ff": K("ffn_hidden_size", None), "tied_embeddings": K("tie_word_embeddings", True),
            "activation": K("activation", "gelu"), "attention_dropout": K("attention_dropout", 0.0),
            "residual_dropout": K("hidden_dropout", 0.0),
        }, {**_DENSE_GPT},
            switches={"f_qkv": 1},
            inputs={"new_decoder_architecture": K("new_decoder_architecture", False),
                    "multi_query": K("multi_query", True), "parallel_attn": K("parallel_attn", True),
                    "num_ln_in_parallel_attn": K("num_ln_in_parallel_attn", None), "bias": K("bias", False),
                    "num_kv_heads": K(("num_kv_heads", "n_head_kv"), None)},
            derive=_falcon),
        ModelType("mpt", "dense", {
            "vocab_size": K("vocab_size", 50368), "d_model": K(("d_model", "hidden_size"), 2048),
            "n_layers": K(("n_layers", "num_hidden_layers"), 24), "n_heads": K(("n_heads", "num_attention_heads"), 16),
            "tied_embeddings": K("tie_word_embeddings", True), "residual_dropout": K("resid_pdrop", 0.0),
            "embedding_dropout": K("emb_pdrop", 0.0), "attention_dropout": K("attn_config.attn_pdrop", 0.0),
        }, {**_DENSE_GPT, "d_ff": None, "attention_bias": False, "output_bias": False, "mlp_bias": False,
            "norm": "layernorm_no_bias", "activation": "gelu"},
            switches={"f_qkv": 1, "n_rot": 0}),
        ModelType("gpt_bigcode", "dense", {
            "vocab_size": K("vocab_size", 50257), "n_positions": K(("n_positions", "max_position_embeddings"), 1024),
            "d_model": K(("n_embd", "hidden_size"), 768), "n_layers": K(("n_layer", "num_hidden_layers"), 12),
            "n_heads": K(("n_head", "num_attention_heads"), 12), "d_ff": K("n_inner", None),
            "tied_embeddings": K("tie_word_embeddings", True),
            "activation": K("activation_function", "gelu_pytorch_tanh"), "embedding_dropout": K("embd_pdrop", 0.1),
            "attention_dropout": K("attn_pdrop", 0.1), "residual_dropout": K("resid_pdrop", 0.1),
        }, {**_DENSE_GPT},
            switches={"f_qkv": 1, "n_rot": 0, "x_mask": 1}, inputs={"multi_query": K("multi_query", True)},
            derive=_gpt_bigcode),
        ModelType("stablelm", "dense", {
            **_std(50304, 2560, 6912, 32, 32, kv=32, head=None, tie=False),
            "attention_bias": K("use_qkv_bias", False), "parallel_residual": K("use_parallel_residual", False),
            "residual_dropout": K("hidden_dropout", 0.0),
            "rotary_fraction": K(("rope_parameters.partial_rotary_factor", "partial_rotary_factor"), 0.25),
        }, {**_DENSE_LLAMA, "norm": "layernorm", "output_bias": False, "head_dim": None},
            inputs={"qk_layernorm": K("qk_layernorm", False)}, derive=_stablelm),
        ModelType("phi", "dense", {
            **_std(51200, 2048, 8192, 24, 32, kv=None, head=None, tie=False, act="gelu_new"),
            "embedding_dropout": K("embd_pdrop", 0.0), "residual_dropout": K("resid_pdrop", 0.0),
            "rotary_fraction": K(("rope_parameters.partial_rotary_factor", "partial_rotary_factor"), 0.5),
        }, {**_DENSE_GPT, "norms_per_layer": 1, "parallel_residual": True, "lm_head_bias": True,
            "n_kv_heads": None, "head_dim": None},
            inputs={"qk_layernorm": K("qk_layernorm", False)}, derive=_phi),
        ModelType("phi3", "phi3", {
            **_std(32064, 3072, 8192, 32, 32, kv=None, head=None, tie=False),
            "embedding_dropout": K("embd_pdrop", 0.0), "residual_dropout": K("resid_pdrop", 0.0),
            "rotary_fraction": K(("rope_parameters.partial_rotary_factor", "partial_rotary_factor"), 1.0),
        }, {**_DENSE_LLAMA, "attention_bias": False, "output_bias": False},
            switches={"f_qkv": 1, "f_gu": 1}, inputs={"sliding_window": K("sliding_window", None)},
            derive=_window_everywhere),
        ModelType("qwen3", "qwen3", {
            **_std(151936, 4096, 22016, 32, 32, kv=32, head=128, tie=False),
            "attention_bias": K("attention_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "qk_norm": "head"},
            inputs=_QWEN_WINDOW, derive=_attention_pattern(_qwen_sliding)),
        ModelType("gemma", "dense", {
            **_std(256000, 3072, 24576, 28, 16, kv=16, head=256, tie=True, act="gelu_pytorch_tanh"),
            "attention_bias": K("attention_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None}, switches={"x_escale": 1}),
        ModelType("gemma2", "gemma2", {
            **_std(256000, 2304, 9216, 26, 8, kv=4, head=256, tie=True, act="gelu_pytorch_tanh"),
            "activation": K(("hidden_activation", "hidden_act"), "gelu_pytorch_tanh"),
            "attention_bias": K("attention_bias", False),
            "attention_softcap": K("attn_logit_softcapping", 50.0), "logit_softcap": K("final_logit_softcapping", 30.0),
        }, {**_DENSE_LLAMA, "output_bias": None, "norms_per_layer": 4}, switches={"x_escale": 1},
            inputs={"layer_types": K("layer_types", None), "sliding_window": K("sliding_window", 4096)},
            derive=_attention_pattern(_every(None, 2, "sliding_attention", "full_attention"))),
        ModelType("gemma3_text", "gemma3", {
            **_std(262208, 2304, 9216, 26, 8, kv=4, head=256, tie=True, act="gelu_pytorch_tanh"),
            "activation": K(("hidden_activation", "hidden_act"), "gelu_pytorch_tanh"),
            "attention_bias": K("attention_bias", False),
            "attention_softcap": K("attn_logit_softcapping", None), "logit_softcap": K("final_logit_softcapping", None),
        }, {**_DENSE_LLAMA, "output_bias": None, "norms_per_layer": 4, "qk_norm": "head"},
            switches={"x_escale": 1, "n_rot": 2},
            inputs={"layer_types": K("layer_types", None), "sliding_window": K("sliding_window", 4096),
                    "sliding_window_pattern": K("sliding_window_pattern", 6)},
            derive=_steps(_attention_pattern(_every("sliding_window_pattern", 6, "sliding_attention", "full_attention")),
                          _rotary_per_kind)),
        ModelType("olmo", "dense", {
            **_std(50304, 4096, 11008, 32, 32, kv=None, head=None, tie=False),
            "attention_bias": K("attention_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "norm": "none"}),
        ModelType("olmo2", "olmo2", {
            **_std(50304, 4096, 11008, 32, 32, kv=None, head=None, tie=False),
            "attention_bias": K("attention_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "qk_norm": "full"}),
        ModelType("olmo3", "dense", {
            **_std(50304, 4096, 11008, 32, 32, kv=None, head=None, tie=False),
            "attention_bias": K("attention_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "qk_norm": "full"}, switches={"n_rot": 2},
            inputs={"layer_types": K("layer_types", None), "sliding_window": K("sliding_window", 4096)},
            derive=_steps(_attention_pattern(_every(None, 4, "sliding_attention", "full_attention")), _rotary_per_kind),
            no_activations="its sliding-window layers under sdpa save other tensors than OLMo 2's (measured); "
                           "not followed yet"),
        ModelType("granite", "llama", {
            **_std(32000, 4096, 11008, 32, 32, kv=None, head=None, tie=False),
            "attention_bias": K("attention_bias", False), "mlp_bias": K("mlp_bias", False),
        }, {**_LLAMA_FIXED, "output_bias": None, "n_experts": 1}),
        ModelType("cohere", "dense", {
            **_std(256000, 8192, 22528, 40, 64, kv=None, head=None, tie=True),
            "attention_bias": K("attention_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "norm": "layernorm_no_bias", "norms_per_layer": 1,
            "parallel_residual": True}, switches={"x_qk2d": 1},
            inputs={"use_qk_norm": K("use_qk_norm", False)}, derive=_qk_option("use_qk_norm", "full")),
        ModelType("cohere2", "dense", {
            **_std(256000, 8192, 22528, 40, 64, kv=None, head=128, tie=True),
            "attention_bias": K("attention_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "norm": "layernorm_no_bias", "norms_per_layer": 1,
            "parallel_residual": True},
            inputs={"layer_types": K("layer_types", None), "sliding_window": K("sliding_window", 4096),
                    "sliding_window_pattern": K("sliding_window_pattern", 4)},
            derive=_attention_pattern(_every("sliding_window_pattern", 4, "sliding_attention", "full_attention"))),
        ModelType("starcoder2", "starcoder2", {
            **_std(49152, 3072, 12288, 30, 24, kv=2, head=None, tie=True, act="gelu_pytorch_tanh"),
            "attention_bias": K("use_bias", True), "mlp_bias": K("use_bias", True),
            "residual_dropout": K("residual_dropout", 0.0), "embedding_dropout": K("embedding_dropout", 0.0),
        }, {"gated_mlp": False, "norm": "layernorm", "final_norm": True, "n_positions": 0, "output_bias": None,
            "parallel_residual": False, "rotary_fraction": 1.0, "n_experts": 1},
            inputs={"sliding_window": K("sliding_window", None)}, derive=_window_everywhere),
        ModelType("exaone4", "dense", _std(102400, 4096, 16384, 32, 32, kv=32, head=None, tie=False),
                  {**_DENSE_LLAMA, "attention_bias": False, "output_bias": False, "qk_norm": "head"},
                  inputs={"layer_types": K("layer_types", None), "sliding_window": K("sliding_window", 4096),
                          "sliding_window_pattern": K("sliding_window_pattern", 4)},
                  derive=_attention_pattern(_exaone4_sliding)),
        ModelType("glm4", "dense", {
            **_std(151552, 4096, 13696, 40, 32, kv=2, head=128, tie=False),
            "attention_bias": K("attention_bias", True),
            "rotary_fraction": K(("rope_parameters.partial_rotary_factor", "partial_rotary_factor"), 0.5),
        }, {**_DENSE_LLAMA, "output_bias": False, "norms_per_layer": 4}, switches={"f_gu": 1}),
        ModelType("smollm3", "llama", {
            **_std(128256, 2048, 11008, 36, 16, kv=4, head=None, tie=True),
            "attention_bias": K("attention_bias", False), "mlp_bias": K("mlp_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None},
            inputs={"layer_types": K("layer_types", None), "sliding_window": K("sliding_window", None),
                    "use_sliding_window": K("use_sliding_window", False), "no_rope_layers": K("no_rope_layers", None),
                    "no_rope_layer_interval": K("no_rope_layer_interval", 4)},
            derive=_attention_pattern(_smollm3_sliding)),
        ModelType("seed_oss", "llama", {
            **_std(155136, 4096, 27648, 64, 80, kv=8, head=128, tie=False),
            "attention_bias": K("attention_bias", True), "output_bias": K("attention_out_bias", False),
            "mlp_bias": K("mlp_bias", False), "residual_dropout": K("residual_dropout", 0.1),
            "attention_dropout": K("attention_dropout", 0.1),
        }, {**_DENSE_LLAMA}),
        ModelType("apertus", "dense", {
            **_std(131072, 4096, 14336, 32, 32, kv=None, head=None, tie=False, act="xielu"),
            "attention_bias": K("attention_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "gated_mlp": False, "qk_norm": "head"}),
        ModelType("ernie4_5", "llama", {
            **_no_dropout_key(_std(103424, 1024, 3072, 18, 16, kv=2, head=128, tie=True)),
            "attention_bias": K("use_bias", False), "mlp_bias": K("use_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "attention_dropout": 0.0},
            no_activations=_LLAMA_BUT("its interleaved rotary embedding")),
        ModelType("ministral", "llama", {
            **_std(32000, 4096, 14336, 32, 32, kv=8, head=None, tie=False),
        }, {**_DENSE_LLAMA, "attention_bias": False, "output_bias": False},
            inputs={"layer_types": K("layer_types", None), "sliding_window": K("sliding_window", 4096)},
            derive=_attention_pattern(_sliding_if_window)),
        ModelType("ministral3", "llama", {
            **_std(131072, 4096, 14336, 34, 32, kv=8, head=128, tie=False),
        }, {**_DENSE_LLAMA, "attention_bias": False, "output_bias": False},
            inputs={"sliding_window": K("sliding_window", None)}, derive=_window_everywhere,
            no_activations=_LLAMA_BUT("its Llama-4 attention scaling")),
        # --- chapter 14: mixtures of experts ------------------------------------------------------
        ModelType("qwen2_moe", "moe", {
            **_std(151936, 2048, 5632, 24, 16, kv=16, head=None, tie=False),
            "attention_bias": K("qkv_bias", True), "n_experts": K(("num_experts", "num_local_experts"), 60),
            "experts_per_token": K("num_experts_per_tok", 4), "d_expert": K("moe_intermediate_size", 1408),
            "d_shared": K("shared_expert_intermediate_size", 5632),
        }, {**_DENSE_LLAMA, "output_bias": False, "shared_expert": True, "shared_expert_gate": True},
            inputs={**_QWEN_WINDOW, "decoder_sparse_step": K("decoder_sparse_step", 1),
                    "mlp_only_layers": K("mlp_only_layers", None)},
            derive=_steps(_attention_pattern(_qwen_moe_sliding), _moe_pattern(_sparse_step))),
        ModelType("qwen3_moe", "moe", {
            **_std(151936, 2048, 6144, 24, 32, kv=4, head=None, tie=False),
            "attention_bias": K("attention_bias", False), "n_experts": K(("num_experts", "num_local_experts"), 128),
            "experts_per_token": K("num_experts_per_tok", 8), "d_expert": K("moe_intermediate_size", 768),
        }, {**_DENSE_LLAMA, "output_bias": None, "qk_norm": "head"},
            inputs={"sliding_window": K("sliding_window", 4096), "use_sliding_window": K("use_sliding_window", False),
                    "decoder_sparse_step": K("decoder_sparse_step", 1), "mlp_only_layers": K("mlp_only_layers", None)},
            derive=_steps(_window_everywhere, _moe_pattern(_sparse_step))),
        ModelType("phimoe", "moe", {
            **_std(32064, 4096, 6400, 32, 32, kv=8, head=None, tie=False),
            "d_expert": K("intermediate_size", 6400), "attention_bias": K("attention_bias", False),
            "n_experts": K("num_local_experts", 16), "experts_per_token": K("num_experts_per_tok", 2),
            "lm_head_bias": K("lm_head_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "norm": "layernorm"},
            inputs={"sliding_window": K("sliding_window", None)}, derive=_window_everywhere),
        ModelType("olmoe", "moe", {
            **_std(50304, 2048, 2048, 16, 16, kv=None, head=None, tie=False),
            "d_expert": K("intermediate_size", 2048), "attention_bias": K("attention_bias", False),
            "n_experts": K(("num_experts", "num_local_experts"), 64), "experts_per_token": K("num_experts_per_tok", 8),
        }, {**_DENSE_LLAMA, "output_bias": None, "qk_norm": "full"}, derive=_olmoe),
        ModelType("granitemoe", "moe", {
            **_std(32000, 4096, 11008, 32, 32, kv=None, head=None, tie=False),
            "d_expert": K("intermediate_size", 11008), "attention_bias": K("attention_bias", False),
            "n_experts": K("num_local_experts", 8), "experts_per_token": K("num_experts_per_tok", 2),
        }, {**_DENSE_LLAMA, "output_bias": None}),
        ModelType("gpt_oss", "moe", {
            **_std(201088, 2880, 2880, 36, 64, kv=8, head=64, tie=False),
            "d_expert": K("intermediate_size", 2880), "attention_bias": K("attention_bias", True),
            "n_experts": K(("num_local_experts", "num_experts"), 128), "experts_per_token": K("num_experts_per_tok", 4),
        }, {**_DENSE_LLAMA, "output_bias": None, "expert_bias": True, "router_bias": True},
            switches={"x_sink": 1},
            inputs={"layer_types": K("layer_types", None), "sliding_window": K("sliding_window", 128)},
            derive=_attention_pattern(_every(None, 2, "sliding_attention", "full_attention"))),
        ModelType("glm4_moe", "moe", {
            **_std(151552, 4096, 10944, 46, 96, kv=8, head=None, tie=False),
            "attention_bias": K("attention_bias", False), "n_experts": K(("n_routed_experts", "num_local_experts"), 128),
            "experts_per_token": K("num_experts_per_tok", 8), "d_expert": K("moe_intermediate_size", 1408),
            "rotary_fraction": K(("rope_parameters.partial_rotary_factor", "partial_rotary_factor"), 0.5),
        }, {**_DENSE_LLAMA, "output_bias": False},
            switches={"x_escore": 1},
            inputs={"first_k_dense_replace": K("first_k_dense_replace", 1), "n_shared_experts": K("n_shared_experts", 1),
                    "moe_intermediate_size": K("moe_intermediate_size", 1408), "use_qk_norm": K("use_qk_norm", False)},
            derive=_steps(_floor_head_dim, _moe_pattern(_first_k_dense), _shared_experts("n_shared_experts"),
                          _qk_option("use_qk_norm", "head"))),
        ModelType("llama4_text", "moe", {
            **_std(202048, 5120, 16384, 48, 40, kv=8, head=128, tie=False),
            "d_ff": K("intermediate_size_mlp", 16384), "d_expert": K("intermediate_size", 8192),
            "d_shared": K("intermediate_size", 8192), "attention_bias": K("attention_bias", False),
            "n_experts": K("num_local_experts", 16), "experts_per_token": K("num_experts_per_tok", 1),
            "attention_chunk": K("attention_chunk_size", 8192),
        }, {**_DENSE_LLAMA, "output_bias": None, "shared_expert": True},
            inputs={"layer_types": K("layer_types", None), "moe_layers": K("moe_layers", None),
                    "interleave_moe_layer_step": K("interleave_moe_layer_step", 1),
                    "no_rope_layers": K("no_rope_layers", None), "no_rope_layer_interval": K("no_rope_layer_interval", 4),
                    "attention_chunk_size": K("attention_chunk_size", 8192)},
            derive=_steps(_attention_pattern(_llama4_chunked), _moe_pattern(_listed_moe_layers))),
        ModelType("minimax_m2", "moe", {
            **_std(200064, 3072, 1536, 62, 48, kv=8, head=128, tie=False),
            "d_expert": K("intermediate_size", 1536), "n_experts": K(("num_local_experts", "num_experts"), 256),
            "experts_per_token": K("num_experts_per_tok", 8),
        }, {**_DENSE_LLAMA, "attention_bias": False, "output_bias": False, "qk_norm": "full"},
            switches={"x_escore": 1}),
        ModelType("ernie4_5_moe", "moe", {
            **_no_dropout_key(_std(103424, 2560, 12288, 28, 20, kv=4, head=None, tie=True)),
            "attention_bias": K("use_bias", False), "mlp_bias": K("use_bias", False),
            "lm_head_bias": K("use_bias", False), "n_experts": K(("moe_num_experts", "num_experts"), 64),
            "experts_per_token": K(("moe_k", "num_experts_per_tok"), 6), "d_expert": K("moe_intermediate_size", 1536),
        }, {**_DENSE_LLAMA, "output_bias": None, "attention_dropout": 0.0},
            switches={"x_rscore": 1},
            inputs={"moe_layer_start_index": K("moe_layer_start_index", 1),
                    "moe_layer_end_index": K("moe_layer_end_index", -1),
                    "moe_layer_interval": K("moe_layer_interval", 1),
                    "moe_num_shared_experts": K("moe_num_shared_experts", 2),
                    "moe_intermediate_size": K("moe_intermediate_size", 1536)},
            derive=_steps(_moe_pattern(_ernie_moe), _shared_experts("moe_num_shared_experts", always=False))),
        ModelType("deepseek_v2", "deepseek", {
            **_std(102400, 4096, 11008, 32, 32, kv=None, head=None, tie=False),
            "attention_bias": K("attention_bias", False),
            "n_experts": K(("n_routed_experts", "num_experts"), 64),
            "experts_per_token": K("num_experts_per_tok", None),
            "d_expert": K("moe_intermediate_size", 1407), "kv_lora_rank": K("kv_lora_rank", 512),
            "qk_nope_head_dim": K("qk_nope_head_dim", 128), "qk_rope_head_dim": K("qk_rope_head_dim", 64),
            "v_head_dim": K("v_head_dim", 128),
        }, {**_DENSE_LLAMA, "output_bias": None, "shared_expert": True},
            inputs={"q_lora_rank": K("q_lora_rank", 1536), "first_k_dense_replace": K("first_k_dense_replace", 0),
                    "n_shared_experts": K("n_shared_experts", 2), "moe_intermediate_size": K("moe_intermediate_size", 1407)},
            derive=_steps(_latent, _moe_pattern(_first_k_dense), _shared_experts("n_shared_experts"))),
        ModelType("deepseek_v3", "deepseek", {
            **_std(129280, 7168, 18432, 61, 128, kv=128, head=64, tie=False),
            "attention_bias": K("attention_bias", False),
            "n_experts": K(("n_routed_experts", "num_local_experts"), 256),
            "experts_per_token": K("num_experts_per_tok", 8),
            "d_expert": K("moe_intermediate_size", 2048), "kv_lora_rank": K("kv_lora_rank", 512),
            "qk_nope_head_dim": K("qk_nope_head_dim", 128), "qk_rope_head_dim": K("qk_rope_head_dim", 64),
            "v_head_dim": K("v_head_dim", 128),
        }, {**_DENSE_LLAMA, "output_bias": None, "shared_expert": True},
            switches={"x_escore": 1},
            inputs={"q_lora_rank": K("q_lora_rank", 1536), "first_k_dense_replace": K("first_k_dense_replace", 3),
                    "n_shared_experts": K("n_shared_experts", 1), "moe_intermediate_size": K("moe_intermediate_size", 2048)},
            derive=_steps(_latent, _moe_pattern(_first_k_dense), _shared_experts("n_shared_experts"))),
        # --- chapter 14: state-space mixers and hybrid stacks ------------------------------------
        ModelType("mamba", "mamba", {
            "vocab_size": K("vocab_size", 50280), "d_model": K("hidden_size", 768),
            "n_layers": K("num_hidden_layers", 32), "ssm_state": K("state_size", 16), "conv_kernel": K("conv_kernel", 4),
            "ssm_proj_bias": K("use_bias", False), "conv_bias": K("use_conv_bias", True),
            "tied_embeddings": K("tie_word_embeddings", True), "activation": K("hidden_act", "silu"),
        }, {**_SSM_FIXED, "mamba_version": 1},
            inputs={"expand": K("expand", 2), "time_step_rank": K("time_step_rank", "auto")},
            derive=_steps(_expand("expand"), _time_step_rank("time_step_rank"))),
        ModelType("mamba2", "mamba", {
            "vocab_size": K("vocab_size", 32768), "d_model": K("hidden_size", 4096),
            "n_layers": K("num_hidden_layers", 64), "ssm_state": K("state_size", 128), "conv_kernel": K("conv_kernel", 4),
            "ssm_proj_bias": K("use_bias", False), "conv_bias": K("use_conv_bias", True),
            "ssm_heads": K("num_heads", 128), "ssm_groups": K("n_groups", 8),
            "tied_embeddings": K("tie_word_embeddings", False), "activation": K("hidden_act", "silu"),
        }, {**_SSM_FIXED, "mamba_version": 2, "ssm_norm": True},
            inputs={"expand": K("expand", 2)}, derive=_expand("expand")),
        ModelType("jamba", "hybrid", {
            **_std(65536, 4096, 14336, 32, 32, kv=8, head=None, tie=False),
            "d_expert": K("intermediate_size", 14336), "n_experts": K("num_experts", 16),
            "experts_per_token": K("num_experts_per_tok", 2), "ssm_state": K("mamba_d_state", 16),
            "conv_kernel": K("mamba_d_conv", 4), "conv_bias": K("mamba_conv_bias", True),
            "ssm_proj_bias": K("mamba_proj_bias", False),
        }, {**_DENSE_LLAMA, "attention_bias": False, "output_bias": False, "mamba_version": 1,
            "ssm_time_step_norms": True},
            switches={"n_rot": 0},
            inputs={"mamba_expand": K("mamba_expand", 2), "mamba_dt_rank": K("mamba_dt_rank", "auto"),
                    "attn_layer_period": K("attn_layer_period", 8), "attn_layer_offset": K("attn_layer_offset", 4),
                    "expert_layer_period": K("expert_layer_period", 2),
                    "expert_layer_offset": K("expert_layer_offset", 1)},
            derive=_steps(_expand("mamba_expand"), _time_step_rank("mamba_dt_rank"), _jamba)),
        ModelType("falcon_h1", "hybrid", {
            **_std(128000, 4096, 14336, 32, 32, kv=8, head=None, tie=False),
            "attention_bias": K("attention_bias", False), "mlp_bias": K("mlp_bias", False),
            "ssm_state": K("mamba_d_state", 256), "conv_kernel": K("mamba_d_conv", 4),
            "ssm_heads": K("mamba_n_heads", 128), "ssm_groups": K("mamba_n_groups", 1),
            "conv_bias": K("mamba_conv_bias", True), "ssm_proj_bias": K("mamba_proj_bias", False),
            "ssm_out_bias": K("projectors_bias", False), "ssm_norm": K("mamba_rms_norm", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "mamba_version": 2},
            switches={"x_mup": 1},
            inputs={"mamba_expand": K("mamba_expand", 2), "mamba_d_ssm": K("mamba_d_ssm", 1024)},
            derive=_steps(_expand("mamba_expand", "mamba_d_ssm"),
                          _every_layer("layer_types", "full_attention+mamba"))),
        ModelType("granitemoehybrid", "hybrid", {
            **_std(32000, 4096, 11008, 32, 32, kv=None, head=None, tie=False),
            "d_expert": K("intermediate_size", 11008), "attention_bias": K("attention_bias", False),
            "experts_per_token": K("num_experts_per_tok", 2), "ssm_state": K("mamba_d_state", 256),
            "conv_kernel": K("mamba_d_conv", 4), "ssm_heads": K("mamba_n_heads", 128),
            "ssm_groups": K("mamba_n_groups", 1), "conv_bias": K("mamba_conv_bias", True),
            "ssm_proj_bias": K("mamba_proj_bias", False),
        }, {**_DENSE_LLAMA, "output_bias": None, "mamba_version": 2, "ssm_norm": True},
            switches={"f_gu": 1},
            inputs={"mamba_expand": K("mamba_expand", 2), "layer_types": K(("layer_types", "layers_block_type"), None),
                    "num_local_experts": K("num_local_experts", 8),
                    "shared_intermediate_size": K("shared_intermediate_size", 1024),
                    "position_embedding_type": K("position_embedding_type", None)},
            derive=_steps(_expand("mamba_expand"), _granite_hybrid)),
        ModelType("nemotron_h", "hybrid", {
            "vocab_size": K("vocab_size", 131072), "d_model": K("hidden_size", 4096),
            "n_heads": K("num_attention_heads", 32), "n_kv_heads": K("num_key_value_heads", 8),
            "head_dim": K("head_dim", 128),
            "d_ff": K("intermediate_size", 21504), "activation": K("mlp_hidden_act", "relu2"),
            "attention_bias": K("attention_bias", False), "mlp_bias": K("mlp_bias", False),
            "attention_dropout": K("attention_dropout", 0.0),
            "n_experts": K(("n_routed_experts", "num_local_experts"), 8),
            "experts_per_token": K("num_experts_per_tok", 2), "d_expert": K("moe_intermediate_size", 7688),
            "d_shared": K("moe_shared_expert_intermediate_size", 7688), "moe_latent": K("moe_latent_size", None),
            "ssm_state": K("ssm_state_size", 128), "conv_kernel": K(("conv_kernel", "mamba_d_conv"), 4),
            "ssm_heads": K("mamba_num_heads", 128), "ssm_groups": K(("n_groups", "mamba_n_groups"), 8),
            "conv_bias": K(("use_conv_bias", "mamba_conv_bias"), True), "ssm_proj_bias": K("use_bias", False),
        }, {**_DENSE_LLAMA, "gated_mlp": False, "output_bias": False, "mamba_version": 2, "ssm_norm": True,
            "norms_per_layer": 1, "shared_expert": True, "n_layers": 4,
            "tied_embeddings": False},  # NemotronHForCausalLM ties nothing, whatever tie_word_embeddings says
            switches={"n_rot": 0, "x_escore": 1},
            inputs={"layers_block_type": K(("layers_block_type", "layer_types"), None),
                    "hybrid_override_pattern": K("hybrid_override_pattern", None),
                    "mamba_num_heads": K("mamba_num_heads", 128), "mamba_head_dim": K("mamba_head_dim", 64)},
            derive=_nemotron_h),
        ModelType("qwen3_next", "hybrid", {
            **_std(151936, 2048, 5632, 48, 16, kv=2, head=256, tie=False),
            "attention_bias": K("attention_bias", False), "n_experts": K(("num_experts", "num_local_experts"), 512),
            "experts_per_token": K("num_experts_per_tok", 10), "d_expert": K("moe_intermediate_size", 512),
            "d_shared": K("shared_expert_intermediate_size", 512),
            "linear_key_heads": K("linear_num_key_heads", 16), "linear_value_heads": K("linear_num_value_heads", 32),
            "linear_key_dim": K("linear_key_head_dim", 128), "linear_value_dim": K("linear_value_head_dim", 128),
            "conv_kernel": K("linear_conv_kernel_dim", 4),
            "rotary_fraction": K(("rope_parameters.partial_rotary_factor", "partial_rotary_factor"), 0.25),
        }, {**_DENSE_LLAMA, "output_bias": None, "qk_norm": "head", "query_gate": True, "shared_expert": True,
            "shared_expert_gate": True},
            switches={"f_lin": 1},
            inputs={"layer_types": K("layer_types", None), "full_attention_interval": K("full_attention_interval", 4),
                    "decoder_sparse_step": K("decoder_sparse_step", 1), "mlp_only_layers": K("mlp_only_layers", None)},
            derive=_steps(_mixer_pattern(_linear_layers, _LINEAR_KINDS), _moe_pattern(_sparse_step))),
        ModelType("qwen3_5_text", "hybrid", {
            **_std(248320, 4096, 12288, 32, 16, kv=4, head=256, tie=False),
            "attention_bias": K("attention_bias", False),
            "linear_key_heads": K("linear_num_key_heads", 16), "linear_value_heads": K("linear_num_value_heads", 32),
            "linear_key_dim": K("linear_key_head_dim", 128), "linear_value_dim": K("linear_value_head_dim", 128),
            "conv_kernel": K("linear_conv_kernel_dim", 4),
            "rotary_fraction": K(("rope_parameters.partial_rotary_factor", "partial_rotary_factor"), 0.25),
        }, {**_DENSE_LLAMA, "output_bias": None, "qk_norm": "head", "query_gate": True},
            inputs={"layer_types": K("layer_types", None), "full_attention_interval": K("full_attention_interval", 4)},
            derive=_steps(_mixer_pattern(_linear_layers, _LINEAR_KINDS),
                          _every_layer("ffn_types", "dense"))),
        ModelType("lfm2", "hybrid", {
            **{k: v for k, v in _std(65536, 2560, 12288, 32, 32, kv=8, head=None, tie=True).items()
               if k not in ("activation", "attention_dropout")},
            "conv_bias": K("conv_bias", False), "conv_kernel": K("conv_L_cache", 3),
        }, {**_DENSE_LLAMA, "attention_bias": False, "output_bias": False, "qk_norm": "head", "activation": "silu",
            "attention_dropout": 0.0},
            inputs={"layer_types": K("layer_types", None), "full_attn_idxs": K("full_attn_idxs", None),
                    "block_auto_adjust_ff_dim": K("block_auto_adjust_ff_dim", True),
                    "block_ffn_dim_multiplier": K("block_ffn_dim_multiplier", 1.0),
                    "block_multiple_of": K("block_multiple_of", 256)},
            derive=_steps(_lfm2, _every_layer("ffn_types", "dense"))),
        ModelType("opt", "opt", {
            "vocab_size": K("vocab_size", 50272), "d_model": K("hidden_size", 768),
            "n_layers": K("num_hidden_layers", 12), "n_heads": K("num_attention_heads", 12),
            "d_ff": K("ffn_dim", 3072), "embedding_dim": K("word_embed_proj_dim", None),
            "attention_bias": K("enable_bias", True), "mlp_bias": K("enable_bias", True),
            "tied_embeddings": K("tie_word_embeddings", True), "activation": K("activation_function", "relu"),
            "attention_dropout": K("attention_dropout", 0.0), "residual_dropout": K("dropout", 0.1),
        }, {"gated_mlp": False, "output_bias": None, "norms_per_layer": 2, "n_kv_heads": None, "head_dim": None,
            "parallel_residual": False, "rotary_fraction": 1.0, "n_experts": 1, "embedding_dropout": 0.0},
            inputs={"do_layer_norm_before": K("do_layer_norm_before", True),
                    "_remove_final_layer_norm": K("_remove_final_layer_norm", False),
                    "layer_norm_elementwise_affine": K("layer_norm_elementwise_affine", True),
                    "max_position_embeddings": K("max_position_embeddings", 2048)},
            derive=_opt),
    )
}

SUPPORTED_MODEL_TYPES: tuple[str, ...] = tuple(MODEL_TYPES)


#: Causal-LM model types of transformers 5.24 the package refuses, and why (chapter 14).
#: The families whose LoRA step chapter 17 derives tensor by tensor (the llama rules, with q/k norms and
#: OLMo 2's output norms), measured within 0.1 % of MemTracker; elsewhere the full step's saved tensors
#: less what no LoRA step saves, an upper bound (``everybyte.finetuning``).
LORA_STEP_FAMILIES: tuple[str, ...] = ("llama", "qwen3", "olmo2")

REFUSED: dict[str, str] = {
    "gemma3n_text": "Gemma 3n's AltUp streams (several copies of the residual stream with learned prediction and "
                    "correction coefficients), LAuReL low-rank residuals, per-layer input embeddings and key/value "
                    "sharing across its last layers are not derived yet",
    "gemma4_text": "Gemma 4 gives each layer its own head width and key/value heads (per_layer_config), shares keys "
                   "and values across its last layers, drops v_proj in global layers (attention_k_eq_v) and may add "
                   "an expert block beside the MLP; these are not derived yet",
}


def model_type_entry(model_type: str) -> ModelType:
    """The registry entry of ``model_type`` (ValueError naming the supported ones, or why a type is refused)."""
    if isinstance(model_type, str) and model_type in REFUSED:
        raise ValueError(f"model_type {model_type!r} is not counted: {REFUSED[model_type]}")
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
