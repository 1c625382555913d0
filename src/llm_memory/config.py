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
        ``n_heads`` must divide ``d_model``.
    n_positions:
        Rows of a learned position-embedding table (symbol ``P``); 0 for none.
    attention_bias, mlp_bias:
        Whether the attention projections and the feed-forward layers have biases.
    tied_embeddings:
        Whether the output layer reuses the token-embedding matrix (GPT-2, GPT-3)
        or has its own ``V x d_model`` matrix.
    final_norm:
        Whether a layer norm follows the last layer (GPT-2, GPT-3).
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

    def __post_init__(self) -> None:
        for size in ("vocab_size", "d_model", "n_layers", "n_heads", "d_ff"):
            check.positive_int(size, getattr(self, size))
        check.non_negative_int("n_positions", self.n_positions)
        for flag in ("attention_bias", "mlp_bias", "tied_embeddings", "final_norm"):
            check.boolean(flag, getattr(self, flag))
        if self.d_model % self.n_heads:
            raise ValueError(
                f"n_heads must divide d_model: d_model={self.d_model} is not a multiple of n_heads={self.n_heads}"
            )
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string, got {self.name!r}")

    @property
    def head_dim(self) -> int:
        """Width of one attention head, ``d_model / h``."""
        return self.d_model // self.n_heads

    def symbol_values(self) -> dict:
        """Values of the architecture symbols, for exact substitution."""
        values = {
            sym.V: self.vocab_size,
            sym.d_model: self.d_model,
            sym.L: self.n_layers,
            sym.h: self.n_heads,
            sym.d_ff: self.d_ff,
        }
        if self.n_positions:
            values[sym.P] = self.n_positions
        return values

    def as_dict(self) -> dict:
        return asdict(self)


#: The article's example model (section "Example calculation"): no attention
#: biases, feed-forward biases, no learned positions, no final norm, and the
#: output layer left out of the total (i.e. tied).
ARTICLE_EXAMPLE = ModelConfig(
    name="article-example",
    vocab_size=50_000,
    d_model=768,
    n_layers=12,
    n_heads=12,
    d_ff=4 * 768,
    n_positions=0,
    attention_bias=False,
    mlp_bias=True,
    tied_embeddings=True,
    final_norm=False,
)

#: GPT-2 small as released by OpenAI and implemented by Hugging Face
#: ``GPT2LMHeadModel`` (Radford et al. 2019): 124,439,808 parameters.
GPT2_SMALL = ModelConfig(
    name="gpt2",
    vocab_size=50_257,
    d_model=768,
    n_layers=12,
    n_heads=12,
    d_ff=3072,
    n_positions=1024,
)

#: GPT-3 175B, Table 2.1 of Brown et al. 2020: d_model 12288, 96 layers,
#: 96 heads, context 2048, GPT-2's tokenizer and layout.
GPT3_175B = ModelConfig(
    name="gpt3-175b",
    vocab_size=50_257,
    d_model=12_288,
    n_layers=96,
    n_heads=96,
    d_ff=4 * 12_288,
    n_positions=2048,
)

PRESETS: dict[str, ModelConfig] = {
    cfg.name: cfg for cfg in (ARTICLE_EXAMPLE, GPT2_SMALL, GPT3_175B)
}


def preset(name: str) -> ModelConfig:
    """Return the preset called ``name`` (see :data:`PRESETS`)."""
    check.choice("preset", name, PRESETS)
    return PRESETS[name]
