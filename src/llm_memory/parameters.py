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
from .symbols import (
    L, P, V, bias_ff, bias_o, bias_qkv, d_ff, d_head, d_model, final_norm, gated, h, h_kv, k_experts,
    learned_positions, n_experts, norm_width, router, untied,
)

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


# --- the general formula (chapter 12) ---------------------------------------------------
#
# One expression covers every supported layout; the switches (symbols.bias_qkv,
# ..., symbols.untied) are 0 or 1 and select its pieces.  The article's formula
# and GPT-2's layout are special cases (chapters 3 and 12 derive both).

#: Query and output projections (h heads of width d_head), key and value
#: projections (h_kv heads each under grouped-query attention).
general_attention_weights = 2 * d_model * h * d_head + 2 * d_model * h_kv * d_head
#: Their biases: q, k, v (switch beta_qkv) and the output projection (beta_o).
general_attention_biases = bias_qkv * (h * d_head + 2 * h_kv * d_head) + bias_o * d_model
#: One feed-forward block: two matrices, or three when gated (gate, up, down).
general_feed_forward_weights = (2 + gated) * d_model * d_ff
#: Its biases: d_ff on each input-side projection, d_model on the output side.
general_feed_forward_biases = bias_ff * ((1 + gated) * d_ff + d_model)
#: The mixture-of-experts router: one score per expert from each token.
general_router = router * d_model * n_experts
#: Two norms per layer (before attention, before the feed-forward block);
#: parallel-residual layers (GPT-NeoX) still have two.
general_layer_norms = 2 * norm_width * d_model

#: Named terms of the whole model, general layout.  Experts multiply the
#: feed-forward terms; ``L`` multiplies every layer term.
GENERAL_TERMS: dict[str, sp.Expr] = {
    "token embedding": token_embedding_parameters,
    "position embedding": learned_positions * position_embedding_parameters,
    "attention weights": L * general_attention_weights,
    "attention biases": L * general_attention_biases,
    "feed-forward weights": L * n_experts * general_feed_forward_weights,
    "feed-forward biases": L * n_experts * general_feed_forward_biases,
    "router": L * general_router,
    "layer norms": L * general_layer_norms,
    "final layer norm": final_norm * norm_width * d_model,
    "output layer": untied * output_layer_parameters,
}
#: The general parameter count, one expression (chapter 12).
general_total_parameters = sp.Add(*GENERAL_TERMS.values())
#: Parameters one token passes through: ``k_experts`` of the ``n_experts`` experts.
general_active_parameters = sp.Add(*(
    expr if name not in ("feed-forward weights", "feed-forward biases") else expr.subs(n_experts, k_experts)
    for name, expr in GENERAL_TERMS.items()
))


def layout_substitutions(config: ModelConfig) -> dict:
    """Substitutions that specialise the general formula to ``config``'s layout.

    The switches take their 0/1 values; for plain multi-head attention ``h_kv``
    becomes ``h`` and, when the heads tile ``d_model``, ``d_head`` becomes
    ``d_model / h``; a dense model has one expert.
    """
    subs = dict(config.switch_values())
    if config.kv_heads == config.n_heads:
        subs[h_kv] = h
    if config.head_width * config.n_heads == config.d_model:
        subs[d_head] = d_model / h
    if config.n_experts == 1:
        subs[n_experts] = 1
        subs[k_experts] = 1
    return subs


def _specialise(terms: dict[str, sp.Expr], config: ModelConfig) -> dict[str, sp.Expr]:
    subs = layout_substitutions(config)
    out = {}
    for name, expr in terms.items():
        value = sp.expand(expr.xreplace(subs))
        if value != 0:
            out[name] = sp.factor_terms(value)
    return out


def parameter_terms(config: ModelConfig) -> dict[str, sp.Expr]:
    """Named parameter terms of the whole model of ``config``'s layout.

    The general terms (:data:`GENERAL_TERMS`) with ``config``'s switches and
    head layout substituted; terms that vanish are left out.  Derived in
    chapters 3 and 12; checked against Hugging Face ``GPT2LMHeadModel`` for
    GPT-2 small (124,439,808) and against the real model code of every
    supported ``model_type`` in the tests.
    """
    return _specialise(GENERAL_TERMS, config)


def layer_parameter_terms(config: ModelConfig) -> dict[str, sp.Expr]:
    """Named parameter terms of one Transformer layer of ``config``'s layout (chapter 3)."""
    per_layer = {name: expr / L for name, expr in GENERAL_TERMS.items() if expr.has(L)}
    return _specialise(per_layer, config)


def total_parameters_expr(config: ModelConfig) -> sp.Expr:
    """The total parameter count of ``config``'s layout, as one expression."""
    return sp.Add(*parameter_terms(config).values())


def active_parameters_expr(config: ModelConfig) -> sp.Expr:
    """Parameters one token passes through (differs from the total for a mixture of experts)."""
    return sp.expand(general_active_parameters.xreplace(layout_substitutions(config)))


@dataclass(frozen=True)
class ParameterCount:
    """An exact parameter count and its named parts (which sum to ``total``).

    ``active`` is the number of parameters one token passes through: the total
    for a dense model, less for a mixture of experts.
    """

    total: int
    breakdown: dict[str, int]
    active: int | None = None

    def __post_init__(self) -> None:
        assert sum(self.breakdown.values()) == self.total
        if self.active is None:
            object.__setattr__(self, "active", self.total)


def count_params(config: ModelConfig) -> ParameterCount:
    """Exact parameter count of ``config``, with a per-component breakdown."""
    if not isinstance(config, ModelConfig):
        raise ValueError(f"config must be a ModelConfig, got {type(config).__name__}")
    values = config.symbol_values()
    breakdown = {name: exact(expr, values) for name, expr in parameter_terms(config).items()}
    return ParameterCount(total=sum(breakdown.values()), breakdown=breakdown,
                          active=exact(active_parameters_expr(config), values))
