"""Model configurations: the sizes and layout of a decoder-only Transformer.

A :class:`ModelConfig` is validated when it is made, so a config that exists
is one every formula can evaluate.  Its sizes are stored as Python ints
(NumPy integers are converted, so nothing overflows) .  :meth:`ModelConfig.values` gives the values of the book's
symbols by name, which the generated evaluators and :func:`everybyte.exact`
both take.  Nothing here imports SymPy.
"""

from __future__ import annotations

import numbers
from . import families
from . import validation as check
from .records import Record

_SIZES = ("vocab_size", "d_model", "n_layers", "n_heads", "n_experts", "experts_per_token")
_FLAGS = ("attention_bias", "mlp_bias", "tied_embeddings", "final_norm", "gated_mlp", "parallel_residual")
_RATES = ("embedding_dropout", "attention_dropout", "residual_dropout")
_ZOO_SIZES = ("max_positions", "norms_per_layer", "d_shared", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim",
              "v_head_dim", "ssm_inner", "ssm_state", "ssm_heads", "ssm_dt_rank", "conv_kernel", "linear_key_heads",
              "linear_value_heads", "linear_key_dim", "linear_value_dim", "per_layer_vocab", "per_layer_dim")
_ZOO_FLAGS = ("ssm_time_step_norms", "query_gate", "attention_softcap", "logit_softcap", "qk_norm_bias", "lm_head_bias", "embedding_norm", "shared_expert", "shared_expert_gate", "router_bias", "expert_bias", "conv_bias",
              "ssm_proj_bias", "ssm_norm")

#: Token mixers a layer can have (``layer_types``), in transformers' names.
MIXERS = ("full_attention", "sliding_attention", "chunked_attention", "mamba", "full_attention+mamba",
          "linear_attention", "conv", "none")
#: Feed-forward blocks a layer can have (``ffn_types``).
FEED_FORWARDS = ("dense", "moe", "none")
#: Norms of q and k inside attention: none, one d_head norm shared by the heads,
#: one over all heads' channels, one d_head norm for each head (chapter 14).
QK_NORMS = ("none", "head", "full", "each_head")


class ModelConfig(Record):
    """Sizes and layout of a decoder-only Transformer (chapters 3 and 12).

    Parameters
    ----------
    vocab_size, d_model, n_layers, n_heads, d_ff:
        The sizes (symbols ``V``, ``d_model``, ``L``, ``h``, ``d_ff``).
        ``n_heads`` must divide ``d_model`` unless ``head_dim`` is given;
        ``d_ff=None`` means ``4 * d_model`` (GPT-2's ``n_inner: null``).
    n_positions:
        Rows of a learned position-embedding table (symbol ``P``); 0 for none.
    attention_bias, mlp_bias:
        Whether the attention projections and the feed-forward layers have biases.
    tied_embeddings:
        Whether the output layer reuses the token-embedding matrix (GPT-2, GPT-3)
        or has its own ``V x d_model`` matrix.
    final_norm:
        Whether a norm follows the last layer.
    n_kv_heads:
        Key/value heads under grouped-query attention (``h_kv``); must divide
        ``n_heads``.  ``None`` means ``n_heads``.
    head_dim:
        Width of one head (``d_head``).  ``None`` means ``d_model / n_heads``.
    output_bias:
        Whether the attention output projection has a bias; ``None`` means the
        same as ``attention_bias`` (Qwen2 has q/k/v biases but none on the output).
    gated_mlp:
        A gated feed-forward layer (gate, up and down projections: SwiGLU).
    norm:
        ``"layernorm"`` (scale and shift) or ``"rmsnorm"`` (scale only).
    n_experts, experts_per_token:
        A mixture of experts: ``n_experts`` feed-forward blocks per layer, of
        which each token uses ``experts_per_token``.
    router:
        Whether each layer has a router; ``None`` means ``n_experts > 1``
        (a Mixtral config with one expert still has its router).
    parallel_residual:
        Attention and feed-forward read the same input (GPT-NeoX).
    model_type:
        The Hugging Face ``model_type`` whose layout this is (see
        :data:`everybyte.families.MODEL_TYPES`).
    activation:
        The feed-forward activation as transformers names it (``gelu_new``, ``gelu``, ``silu``).
    embedding_dropout, attention_dropout, residual_dropout:
        Dropout probabilities; with p > 0 dropout saves a mask (chapter 13).
    rotary_fraction:
        Share of each head's width that rotary embeddings turn (GPT-NeoX: 0.25).

    The architecture zoo (chapter 14) adds, each with a default that keeps the
    layouts above as they were:

    layer_types, ffn_types:
        The token mixer of each layer (``full_attention``, ``sliding_attention``,
        ``chunked_attention``, ``mamba``, ``full_attention+mamba`` (Falcon-H1),
        ``linear_attention`` (a gated DeltaNet), ``conv``, ``none``) and its
        feed-forward block (``dense``, ``moe``, ``none``); ``None`` means the
        family's kind in every layer.  :meth:`layer_counts` turns them into
        ``L_attn``, ``L_full``, ``L_slide``, ``L_chunk``, ``L_ssm``, ``L_lin``,
        ``L_conv``, ``L_ff`` and ``L_moe``.
    sliding_window, attention_chunk:
        Tokens a sliding-window layer sees, and Llama 4's attention chunk.
    norms_per_layer, norm:
        Norms of width d_model in each layer (1 to 4) and their kind:
        ``layernorm``, ``rmsnorm``, ``layernorm_no_bias`` (MPT, Cohere) or
        ``none`` (OLMo's parameter-free norm).
    qk_norm, qk_norm_bias:
        Norms of q and k: ``none``, ``head`` (one d_head norm), ``full`` (over
        all heads' channels), ``each_head`` (one per head); with a shift (Phi).
    lm_head_bias, embedding_norm, embedding_dim:
        An output-layer bias; a norm after the embedding; OPT's word-embedding
        width (``None``: d_model).
    d_expert, d_shared, shared_expert, shared_expert_gate, router_bias, expert_bias:
        Width of a routed expert (``None``: d_ff) and of the shared expert(s);
        whether MoE layers have a shared expert and its sigmoid gate; biases
        of the router and of the routed experts.
    q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim:
        Latent attention (DeepSeek); ``q_lora_rank`` 0 for an uncompressed query.
    ssm_inner, ssm_state, ssm_heads, ssm_groups, ssm_dt_rank, conv_kernel, conv_bias,
    ssm_proj_bias, ssm_out_bias, ssm_norm, mamba_version, ssm_time_step_norms:
        Mamba mixers (and the convolution kernel of DeltaNet and LFM2 layers).
    linear_key_heads, linear_value_heads, linear_key_dim, linear_value_dim:
        Gated DeltaNet heads and widths.  ``query_gate``: the query projection
        also makes an output gate (Qwen3-Next).  ``moe_latent``: Nemotron-H's
        expert width.
    per_layer_vocab, per_layer_dim:
        Per-layer input embeddings (reserved for Gemma 3n and 4, refused today).
    rotary_dim, rotary_sets, max_positions:
        GPT-J's rotary width; sets of rotary frequencies kept; positions a
        buffer is precomputed for.
    attention_softcap, logit_softcap:
        Gemma's tanh soft caps (what the forward pass saves).
    left_out:
        What the count of a multimodal config leaves out (not compared).
    """

    vocab_size: int
    d_model: int
    n_layers: int
    n_heads: int
    d_ff: int | None = None
    n_positions: int = 0
    attention_bias: bool = True
    mlp_bias: bool = True
    tied_embeddings: bool = True
    final_norm: bool = True
    name: str = "custom"
    n_kv_heads: int | None = None
    head_dim: int | None = None
    output_bias: bool | None = None
    gated_mlp: bool = False
    norm: str = "layernorm"
    n_experts: int = 1
    experts_per_token: int = 1
    router: bool | None = None
    parallel_residual: bool = False
    model_type: str = "gpt2"
    activation: str = "gelu_new"
    embedding_dropout: float = 0.1
    attention_dropout: float = 0.1
    residual_dropout: float = 0.1
    rotary_fraction: float = 1.0
    # --- the architecture zoo (chapter 14) ------------------------------------------------
    layer_types: tuple[str, ...] | None = None
    ffn_types: tuple[str, ...] | None = None
    sliding_window: int | None = None
    attention_chunk: int | None = None
    norms_per_layer: int = 2
    qk_norm: str = "none"
    qk_norm_bias: bool = False
    lm_head_bias: bool = False
    embedding_norm: bool = False
    embedding_dim: int | None = None
    d_expert: int | None = None
    d_shared: int = 0
    shared_expert: bool = False
    shared_expert_gate: bool = False
    router_bias: bool = False
    expert_bias: bool = False
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    ssm_inner: int = 0
    ssm_state: int = 0
    ssm_heads: int = 0
    ssm_groups: int = 1
    ssm_dt_rank: int = 0
    conv_kernel: int = 0
    conv_bias: bool = False
    ssm_proj_bias: bool = False
    ssm_norm: bool = False
    ssm_out_bias: bool | None = None
    mamba_version: int = 1
    ssm_time_step_norms: bool = False
    query_gate: bool = False
    attention_softcap: bool = False
    logit_softcap: bool = False
    moe_latent: int | None = None
    linear_key_heads: int = 0
    linear_value_heads: int = 0
    linear_key_dim: int = 0
    linear_value_dim: int = 0
    per_layer_vocab: int = 0
    per_layer_dim: int = 0
    rotary_dim: int | None = None
    max_positions: int = 0
    rotary_sets: int | None = None
    left_out: str = ""

    _not_compared = frozenset({"name", "left_out"})

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen record)
        for size in _SIZES:
            set_(size, check.positive_int(size, getattr(self, size)))
        set_("n_positions", check.non_negative_int("n_positions", self.n_positions))
        set_("d_ff", 4 * self.d_model if self.d_ff is None else check.positive_int("d_ff", self.d_ff))
        for flag in _FLAGS:
            check.boolean(flag, getattr(self, flag))
        for optional in ("output_bias", "router"):
            if getattr(self, optional) is not None:
                check.boolean(optional, getattr(self, optional))
        if self.head_dim is None:
            if self.d_model % self.n_heads:
                raise ValueError(
                    f"n_heads must divide d_model: d_model={self.d_model} is not a multiple of n_heads={self.n_heads}"
                )
        else:
            set_("head_dim", check.positive_int("head_dim", self.head_dim))
        if self.n_kv_heads is not None:
            set_("n_kv_heads", check.positive_int("n_kv_heads", self.n_kv_heads))
            if self.n_heads % self.n_kv_heads:
                raise ValueError(
                    f"n_kv_heads must divide n_heads: n_heads={self.n_heads} is not a multiple of n_kv_heads={self.n_kv_heads}"
                )
        if self.experts_per_token > self.n_experts:
            raise ValueError(
                f"experts_per_token must be at most n_experts={self.n_experts}, got {self.experts_per_token}"
            )
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string, got {self.name!r}")
        for rate in _RATES:
            set_(rate, float(check.fraction_in_unit_interval(rate, getattr(self, rate))))
        set_("rotary_fraction", _share("rotary_fraction", self.rotary_fraction))
        if not isinstance(self.activation, str):
            raise ValueError(f"activation must be a string, got {self.activation!r}")
        families.model_type_entry(self.model_type)
        self._check_zoo(set_)

    def _check_zoo(self, set_) -> None:
        """Check the fields of chapter 14's layouts: layer patterns, widths of each kind, switches."""
        family = self.family
        check.choice("norm", self.norm, family.norms)
        for size in _ZOO_SIZES:
            set_(size, check.non_negative_int(size, getattr(self, size)))
        set_("ssm_groups", check.positive_int("ssm_groups", self.ssm_groups))
        for optional in ("sliding_window", "attention_chunk", "embedding_dim", "d_expert", "rotary_dim", "moe_latent"):
            if getattr(self, optional) is not None:
                set_(optional, check.positive_int(optional, getattr(self, optional)))
        if self.rotary_sets is not None:
            set_("rotary_sets", check.non_negative_int("rotary_sets", self.rotary_sets))
        for optional in ():
            if getattr(self, optional) is not None:
                set_(optional, check.positive_int(optional, getattr(self, optional)))
        for flag in _ZOO_FLAGS:
            check.boolean(flag, getattr(self, flag))
        check.choice("qk_norm", self.qk_norm, QK_NORMS)
        if self.mamba_version not in (1, 2):
            raise ValueError(f"mamba_version must be 1 or 2, got {self.mamba_version!r}")
        if self.ssm_out_bias is not None:
            check.boolean("ssm_out_bias", self.ssm_out_bias)
        for name, allowed in (("layer_types", MIXERS), ("ffn_types", FEED_FORWARDS)):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise ValueError(f"{name} must be a list of {', '.join(allowed)}, one per layer; got {value!r}")
            value = tuple(value)
            if len(value) != self.n_layers:
                raise ValueError(f"{name} must name one kind per layer: {len(value)} kinds for "
                                 f"n_layers={self.n_layers}")
            for kind in value:
                check.choice(f"each of {name}", kind, allowed)
            set_(name, value)
        for name in family.requires:
            if getattr(self, name) in (0, None):
                raise ValueError(f"{name} must be a positive integer for {self.model_type}'s layout, "
                                 f"got {getattr(self, name)!r}")
        if not isinstance(self.left_out, str):
            raise ValueError(f"left_out must be a string, got {self.left_out!r}")

    # --- derived sizes -------------------------------------------------------------

    @property
    def kv_heads(self) -> int:
        """Key/value heads (``h_kv``): ``n_kv_heads``, or ``n_heads`` without grouped-query attention."""
        return self.n_heads if self.n_kv_heads is None else self.n_kv_heads

    @property
    def head_width(self) -> int:
        """Width of one attention head (``d_head``): ``head_dim``, or ``d_model / h``."""
        return self.d_model // self.n_heads if self.head_dim is None else self.head_dim

    @property
    def has_output_bias(self) -> bool:
        return self.attention_bias if self.output_bias is None else self.output_bias

    @property
    def has_router(self) -> bool:
        return self.n_experts > 1 if self.router is None else self.router

    @property
    def rotary_channels(self) -> int:
        """Channels of each head that rotary embeddings turn (``d_rot``); 0 without rotary."""
        if self.rotary_dim is not None:  # GPT-J's rotary_dim
            return self.rotary_dim
        if not self.rotary_set_count:
            return 0
        if self.head_width <= 2**53:  # transformers' own float arithmetic: int(head_dim * factor)
            return int(self.head_width * self.rotary_fraction)
        from fractions import Fraction

        return int(self.head_width * Fraction(self.rotary_fraction))  # beyond floats: the exact product

    @property
    def rotary_set_count(self) -> int:
        """Sets of rotary frequencies the model keeps (0 without rotary; Gemma 3: full and sliding)."""
        return families.switches_of(self.model_type)["n_rot"] if self.rotary_sets is None else self.rotary_sets

    @property
    def standard_attention(self) -> bool:
        """Plain multi-head attention whose heads tile ``d_model`` (GPT-2, GPT-3, Llama-2-7B)."""
        return self.kv_heads == self.n_heads and self.head_width * self.n_heads == self.d_model

    @property
    def mixers(self) -> tuple[str, ...]:
        """The token mixer of each layer (``layer_types``, or the family's default for every layer)."""
        return self.layer_types if self.layer_types is not None else (self.family.mixer,) * self.n_layers

    @property
    def feed_forwards(self) -> tuple[str, ...]:
        """The feed-forward block of each layer (``ffn_types``, or the family's default for every layer)."""
        return self.ffn_types if self.ffn_types is not None else (self.family.feed_forward,) * self.n_layers

    def layer_counts(self) -> dict[str, int]:
        """Layers of each kind, by symbol name (``L_full``, ``L_moe``, ...; chapter 14)."""
        def mixer(kind):  # without spelling out a tuple of n_layers kinds (n_layers may be huge)
            return self.layer_types.count(kind) if self.layer_types is not None else \
                self.n_layers * (self.family.mixer == kind)

        def ffn(kind):
            return self.ffn_types.count(kind) if self.ffn_types is not None else \
                self.n_layers * (self.family.feed_forward == kind)

        parallel = mixer("full_attention+mamba")  # Falcon-H1: attention and Mamba side by side
        full, sliding, chunked = (mixer(k) for k in ("full_attention", "sliding_attention", "chunked_attention"))
        full += parallel
        return {"L_attn": full + sliding + chunked, "L_full": full, "L_slide": sliding, "L_chunk": chunked,
                "L_ssm": mixer("mamba") + parallel, "L_lin": mixer("linear_attention"),
                "L_conv": mixer("conv"), "L_moe": ffn("moe"), "L_ff": ffn("dense")}

    @property
    def family(self) -> families.Family:
        """The family whose real code has this layout (from ``model_type``)."""
        return families.family_of(self.model_type)

    # --- values of the book's symbols ----------------------------------------------

    def values(self) -> dict[str, int]:
        """Values of every architecture symbol and layout switch, by symbol name.

        The switches of the real code's storage (``f_qkv``, ``f_exp``) come from
        the family; ``n_act`` is present only for an activation the accounting
        knows (:data:`everybyte.families.ACTIVATION_SAVED_TENSORS`).
        """
        values = {
            "V": self.vocab_size, "d_model": self.d_model, "L": self.n_layers, "h": self.n_heads,
            "d_ff": self.d_ff, "P": self.n_positions, "h_kv": self.kv_heads, "d_head": self.head_width,
            "n_experts": self.n_experts, "k_experts": self.experts_per_token, "d_rot": self.rotary_channels,
            "beta_qkv": int(self.attention_bias), "beta_o": int(self.has_output_bias),
            "beta_ff": int(self.mlp_bias), "gamma": int(self.gated_mlp),
            "nu": {"layernorm": 2, "none": 0}.get(self.norm, 1), "rho": int(self.has_router),
            "pi": int(self.n_positions > 0), "phi": int(self.final_norm), "tau": int(not self.tied_embeddings),
            "x_par": int(self.parallel_residual), "x_kv1": int(self.kv_heads == 1 < self.n_heads),
            "p_embd": int(self.embedding_dropout > 0), "p_attn": int(self.attention_dropout > 0),
            "p_resid": int(self.residual_dropout > 0),
            **families.switches_of(self.model_type),
            **self.layer_counts(),
            "w_slide": self.sliding_window or 0, "w_chunk": self.attention_chunk or 0,
            "n_norm": self.norms_per_layer, "x_nw": int(self.norm != "none"), "x_nb": int(self.norm == "layernorm"),
            "x_qkh": int(self.qk_norm == "head"), "x_qkf": int(self.qk_norm == "full"),
            "x_qks": int(self.qk_norm == "each_head"), "x_qkb": int(self.qk_norm_bias),
            "beta_lm": int(self.lm_head_bias), "x_embnorm": int(self.embedding_norm),
            "d_emb": self.embedding_dim or self.d_model,
            "x_proj": int(self.embedding_dim not in (None, self.d_model)),
            "n_actp": families.ACTIVATION_PARAMETERS.get(self.activation, 0),
            "d_expert": self.d_ff if self.d_expert is None else self.d_expert, "d_shared": self.d_shared,
            "x_shexp": int(self.shared_expert), "x_shgate": int(self.shared_expert_gate), "beta_router": int(self.router_bias),
            "beta_exp": int(self.expert_bias),
            "r_q": self.q_lora_rank, "r_kv": self.kv_lora_rank, "d_nope": self.qk_nope_head_dim,
            "d_rope": self.qk_rope_head_dim, "d_v": self.v_head_dim, "x_qc": int(self.q_lora_rank > 0),
            "d_inner": self.ssm_inner, "d_state": self.ssm_state, "h_ssm": self.ssm_heads, "g_ssm": self.ssm_groups,
            "r_dt": self.ssm_dt_rank, "d_conv": self.conv_kernel, "beta_conv": int(self.conv_bias),
            "beta_ssm": int(self.ssm_proj_bias), "x_ssmnorm": int(self.ssm_norm),
            "beta_ssmo": int(self.ssm_proj_bias if self.ssm_out_bias is None else self.ssm_out_bias),
            "x_m2": int(self.mamba_version == 2), "x_dtn": int(self.ssm_time_step_norms),
            "x_qgate": int(self.query_gate), "x_acap": int(self.attention_softcap),
            "x_lcap": int(self.logit_softcap), "d_lat": self.moe_latent or self.d_model,
            "x_lat": int(self.moe_latent is not None),
            "h_lk": self.linear_key_heads, "h_lv": self.linear_value_heads, "d_lk": self.linear_key_dim,
            "d_lv": self.linear_value_dim, "V_ple": self.per_layer_vocab, "d_ple": self.per_layer_dim,
            "P_max": self.max_positions,
        }
        values["n_lscal"] += families.ACTIVATION_BUFFERS.get(self.activation, 0)
        values["n_rot"] = self.rotary_set_count
        if self.activation in families.ACTIVATION_SAVED_TENSORS:
            values["n_act"] = families.ACTIVATION_SAVED_TENSORS[self.activation]
        return values

    def symbol_values(self) -> dict:
        """:meth:`values` keyed by the SymPy symbols of :mod:`everybyte.symbols` (for chapters)."""
        from .symbols import BY_NAME

        return {BY_NAME[name]: value for name, value in self.values().items()}

    def layout_mismatch(self) -> str | None:
        """Why this config is not laid out as its ``model_type``'s real code, or ``None`` if it is.

        A config read from a ``config.json`` always matches; one made by hand
        (say ``ModelConfig(model_type="gpt2", n_positions=0, ...)``) may not, and
        then no real code saves its activations.
        """
        entry = families.model_type_entry(self.model_type)
        normalised = {"output_bias": self.has_output_bias, "router": self.has_router}
        for name, fixed in entry.fixed.items():
            if name in ("n_kv_heads", "head_dim") and fixed is None:
                continue  # the real code derives them from the sizes
            value = normalised.get(name, getattr(self, name))
            wanted = self.attention_bias if (name == "output_bias" and fixed is None) else fixed
            if value != wanted:
                return f"{name}={value!r}, where transformers' {self.model_type} has {name}={wanted!r}"
        if entry.fixed.get("n_kv_heads", 0) is None and not self.standard_attention:
            return f"grouped-query attention or head_dim, which transformers' {self.model_type} does not have"
        if "n_positions" in entry.keys and self.n_positions == 0:
            return f"no learned positions, where transformers' {self.model_type} has a position table"
        return None


def _share(name: str, value) -> float:
    """A float in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a number with 0 < {name} <= 1, got {value!r}")
    return float(value)
