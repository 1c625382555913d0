"""Parameter counts of a GPT-style Transformer, as SymPy expressions.

Chapter 3 ("Counting parameters") derives every expression here from the
shapes of the weight matrices; chapter 4 evaluates them for the article's
example and for GPT-2 small, and chapter 11 for GPT-3.

Sources: Vaswani et al. 2017, section 3 (the layer structure); Radford et al.
2019 and Hugging Face ``GPT2LMHeadModel`` (biases, learned positions, final
layer norm, tied output layer); the article's section "Calculating parameters".
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .config import ModelConfig
from .evaluate import exact
from .symbols import L, P, V, d_ff, d_model

# --- one expression per component -------------------------------------------------

#: Token-embedding table: one ``d_model`` vector per vocabulary entry.
token_embedding_parameters = V * d_model
#: Learned position embeddings (GPT-2, GPT-3): one vector per position.
position_embedding_parameters = P * d_model
#: Query, key, value and output projections, each ``d_model x d_model``
#: (h heads of width d_model/h side by side make one square matrix).
attention_weight_parameters = 4 * d_model**2
#: One bias vector of width ``d_model`` per projection.
attention_bias_parameters = 4 * d_model
#: The two feed-forward matrices, ``d_model x d_ff`` and ``d_ff x d_model``.
feed_forward_weight_parameters = 2 * d_model * d_ff
#: Their biases: ``d_ff`` after the first, ``d_model`` after the second.
feed_forward_bias_parameters = d_ff + d_model
#: A layer norm has a scale and a shift per channel.
layer_norm_parameters = 2 * d_model
#: An untied output layer (language-model head), ``d_model x V``, no bias.
output_layer_parameters = V * d_model

# --- the article's formulas, exactly as printed ------------------------------------

#: The article's attention term: ``4 d_model^2`` (no biases).
ARTICLE_ATTENTION = attention_weight_parameters
#: The article's feed-forward term: ``2 d_model d_ff + d_model + d_ff`` (with biases).
ARTICLE_FEED_FORWARD = feed_forward_weight_parameters + feed_forward_bias_parameters
#: The article's per-layer total: attention + feed-forward + two layer norms.
ARTICLE_LAYER = ARTICLE_ATTENTION + ARTICLE_FEED_FORWARD + 2 * layer_norm_parameters
#: The article's model total with a separate output layer, as its formula reads:
#: ``N_layers * Parameters_layer + Parameters_embedding + Parameters_output``.
ARTICLE_TOTAL_WITH_OUTPUT = L * ARTICLE_LAYER + token_embedding_parameters + output_layer_parameters
#: The article's total as its example evaluates it (output layer left out).
ARTICLE_TOTAL_AS_EVALUATED = L * ARTICLE_LAYER + token_embedding_parameters


def layer_parameter_terms(config: ModelConfig) -> dict[str, sp.Expr]:
    """Named parameter terms of one Transformer layer of ``config``'s layout.

    Derived in chapter 3.  The terms are, in order: attention weights,
    attention biases (if any), feed-forward weights, feed-forward biases (if
    any), and the two layer norms (one before attention, one before the
    feed-forward block).
    """
    terms = {"attention weights": attention_weight_parameters}
    if config.attention_bias:
        terms["attention biases"] = attention_bias_parameters
    terms["feed-forward weights"] = feed_forward_weight_parameters
    if config.mlp_bias:
        terms["feed-forward biases"] = feed_forward_bias_parameters
    terms["layer norms"] = 2 * layer_norm_parameters
    return terms


def parameter_terms(config: ModelConfig) -> dict[str, sp.Expr]:
    """Named parameter terms of the whole model of ``config``'s layout.

    The layer terms are multiplied by ``L``; embeddings, the final layer norm
    and an untied output layer are added once.  Derived in chapter 3; checked
    against Hugging Face ``GPT2LMHeadModel`` for GPT-2 small (124,439,808).
    """
    terms = {"token embedding": token_embedding_parameters}
    if config.n_positions:
        terms["position embedding"] = position_embedding_parameters
    for name, expr in layer_parameter_terms(config).items():
        terms[name] = L * expr
    if config.final_norm:
        terms["final layer norm"] = layer_norm_parameters
    if not config.tied_embeddings:
        terms["output layer"] = output_layer_parameters
    return terms


def total_parameters_expr(config: ModelConfig) -> sp.Expr:
    """The total parameter count of ``config``'s layout, as one expression."""
    return sp.Add(*parameter_terms(config).values())


@dataclass(frozen=True)
class ParameterCount:
    """An exact parameter count and its named parts (which sum to ``total``)."""

    total: int
    breakdown: dict[str, int]

    def __post_init__(self) -> None:
        assert sum(self.breakdown.values()) == self.total


def count_params(config: ModelConfig) -> ParameterCount:
    """Exact parameter count of ``config``, with a per-component breakdown."""
    if not isinstance(config, ModelConfig):
        raise ValueError(f"config must be a ModelConfig, got {type(config).__name__}")
    values = config.symbol_values()
    breakdown = {name: exact(expr, values) for name, expr in parameter_terms(config).items()}
    return ParameterCount(total=sum(breakdown.values()), breakdown=breakdown)
