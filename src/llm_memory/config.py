"""Model configurations and the book's presets.

A :class:`ModelConfig` holds the sizes of a decoder-only Transformer of the
GPT family and which optional pieces it has (biases, learned positions, a final
layer norm, a separate output layer).  It is validated when it is made, so a
config that exists is a config every formula can evaluate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from . import symbols as sym
from . import validation as check


@dataclass(frozen=True)
class ModelConfig:
    """Sizes and layout of a GPT-style decoder-only Transformer.

    Parameters
    ----------
    vocab_size, d_model, n_layers, n_heads, d_ff:
        The sizes (symbols ``V``, ``d_model``, ``L``, ``h``, ``d_ff``).
        ``n_heads`` must divide ``d_model`` unless ``head_dim`` is given.
    n_positions:
        Rows of a learned position-embedding table (symbol ``P``); 0 for none.
    attention_bias, mlp_bias:
        Whether the attention projections and the feed-forward layers have biases.
    tied_embeddings:
        Whether the output layer reuses the token-embedding matrix (GPT-2, GPT-3)
        or has its own ``V x d_model`` matrix.
    final_norm:
        Whether a layer norm follows the last layer (GPT-2, GPT-3).
    n_kv_heads:
        Key/value heads under grouped-query attention (symbol ``h_kv``); must
        divide ``n_heads``.  ``None`` means ``n_heads`` (plain multi-head attention).
    head_dim:
        Width of one head (``d_head``).  ``None`` means ``d_model / n_heads``, in
        which case ``n_heads`` must divide ``d_model``.
    output_bias:
        Whether the attention output projection has a bias; ``None`` means the
        same as ``attention_bias`` (Qwen2 has q/k/v biases but none on the output).
    gated_mlp:
        A gated feed-forward layer (gate, up and down projections: Llama's SwiGLU)
        instead of two plain linear layers.
    norm:
        ``"layernorm"`` (scale and shift) or ``"rmsnorm"`` (scale only).
    n_experts, experts_per_token:
        A mixture of experts: ``n_experts`` feed-forward blocks and a router per
        layer, of which each token uses ``experts_per_token``.
    parallel_residual:
        Attention and feed-forward read the same input (GPT-NeoX).  Recorded for
        the memory chapters; it does not change the parameter count.
    model_type:
        The Hugging Face ``model_type`` whose layout this is.
    activation:
        The feed-forward activation as transformers names it (``gelu_new``,
        ``gelu``, ``silu``, ...); it decides what the activation saves (chapter 13).
    embedding_dropout, attention_dropout, residual_dropout:
        Dropout probabilities of the config; with p > 0 dropout saves a mask (chapter 13).
    rotary_fraction:
        Share of each head's width that rotary embeddings turn (GPT-NeoX: 0.25).
    """

    vocab_size: int
    d_model: int
    n_layers: int
    n_heads: int
    d_ff: int
    n_positions: int = 0
    attention_bias: bool = True
    mlp_bias: bool = True
    tied_embeddings: bool = True
    final_norm: bool = True
    name: str = field(default="custom", compare=False)
    n_kv_heads: int | None = None
    head_dim: int | None = None
    output_bias: bool | None = None
    gated_mlp: bool = False
    norm: str = "layernorm"
    n_experts: int = 1
    experts_per_token: int = 1
    parallel_residual: bool = False
    model_type: str = "gpt2"
    activation: str = "gelu_new"
    embedding_dropout: float = 0.1
    attention_dropout: float = 0.1
    residual_dropout: float = 0.1
    rotary_fraction: float = 1.0

    def __post_init__(self) -> None:
        for size in ("vocab_size", "d_model", "n_layers", "n_heads", "d_ff", "n_experts", "experts_per_token"):
            check.positive_int(size, getattr(self, size))
        check.non_negative_int("n_positions", self.n_positions)
        for flag in ("attention_bias", "mlp_bias", "tied_embeddings", "final_norm", "gated_mlp", "parallel_residual"):
            check.boolean(flag, getattr(self, flag))
        if self.output_bias is not None:
            check.boolean("output_bias", self.output_bias)
        check.choice("norm", self.norm, ("layernorm", "rmsnorm"))
        if self.head_dim is None:
            if self.d_model % self.n_heads:
                raise ValueError(
                    f"n_heads must divide d_model: d_model={self.d_model} is not a multiple of n_heads={self.n_heads}"
                )
        else:
            check.positive_int("head_dim", self.head_dim)
        if self.n_kv_heads is not None:
            check.positive_int("n_kv_heads", self.n_kv_heads)
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
        for rate in ("embedding_dropout", "attention_dropout", "residual_dropout"):
            check.fraction_in_unit_interval(rate, getattr(self, rate))
        check.positive_real("rotary_fraction", self.rotary_fraction)
        if self.rotary_fraction > 1:
            raise ValueError(f"rotary_fraction must be at most 1, got {self.rotary_fraction!r}")
        if not isinstance(self.activation, str):
            raise ValueError(f"activation must be a string, got {self.activation!r}")
        if not isinstance(self.model_type, str):
            raise ValueError(f"model_type must be a string, got {self.model_type!r}")

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
    def standard_attention(self) -> bool:
        """Plain multi-head attention whose heads tile ``d_model`` (GPT-2, GPT-3, Llama-2-7B)."""
        return self.kv_heads == self.n_heads and self.head_width * self.n_heads == self.d_model

    def switch_values(self) -> dict:
        """Values of the layout switches of the general parameter formula (chapter 12)."""
        return {
            sym.bias_qkv: int(self.attention_bias),
            sym.bias_o: int(self.has_output_bias),
            sym.bias_ff: int(self.mlp_bias),
            sym.gated: int(self.gated_mlp),
            sym.norm_width: 2 if self.norm == "layernorm" else 1,
            sym.router: int(self.n_experts > 1),
            sym.learned_positions: int(self.n_positions > 0),
            sym.final_norm: int(self.final_norm),
            sym.untied: int(not self.tied_embeddings),
        }

    def symbol_values(self) -> dict:
        """Values of the architecture symbols, for exact substitution.

        Symbols that a config's layout makes redundant are left out: ``h_kv`` and
        ``d_head`` for standard attention, the expert counts for a dense model.
        """
        values = {
            sym.V: self.vocab_size,
            sym.d_model: self.d_model,
            sym.L: self.n_layers,
            sym.h: self.n_heads,
            sym.d_ff: self.d_ff,
        }
        if self.n_positions:
            values[sym.P] = self.n_positions
        if self.kv_heads != self.n_heads:
            values[sym.h_kv] = self.kv_heads
        if self.head_width * self.n_heads != self.d_model:
            values[sym.d_head] = self.head_width
        if self.n_experts > 1:
            values[sym.n_experts] = self.n_experts
            values[sym.k_experts] = self.experts_per_token
        return values

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_hf_config(cls, source, name: str | None = None) -> "ModelConfig":
        """A config from a Hugging Face ``config.json`` (a path or a dict); see :mod:`llm_memory.hf`."""
        from .hf import from_hf_config

        return from_hf_config(source, name)
