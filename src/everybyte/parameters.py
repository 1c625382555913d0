"""Parameter counts of a decoder-only Transformer, as SymPy expressions.

Chapter 3 ("Counting parameters") derives the article's layout from the shapes
of the weight matrices; chapter 4 evaluates it for the article's example and
GPT-2 small, chapter 11 for GPT-3, and chapter 12 generalises it to real
models.

The one source of every count is a *tensor table* (:mod:`everybyte.tables`,
built from the components of :mod:`everybyte.components`): every parameter
tensor the real code creates, with its number of elements and how often it
occurs (``L``, or the number of layers of its kind such as ``L_moe``), and a
presence switch where a layout may lack it.  The count terms (token embedding,
attention weights, ...) are the sums of the table's tensors group by group; the
number of tensors and the largest tensor, which an optimizer's memory depends
on (chapter 13), come from the same table.  The tests build every supported
family with transformers on the meta device and compare group by group.

Sources: Vaswani et al. 2017, section 3 (the layer structure); Radford et al.
2019 and Hugging Face ``GPT2LMHeadModel`` (biases, learned positions, final
layer norm, tied output layer); the transformers modelling code of each family.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .config import ModelConfig
from .symbols import L, P, V, d_ff, d_head, d_model, h, h_kv, k_experts, n_experts
from .components import Buffer, Tensor
from .families import FAMILIES
from .tables import BUFFERS, DECODER, TABLE_BY_NAME
from .terms import Term, ref

# --- one expression per component: the article's layout (chapters 3 and 4) ----------

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


# --- tensor tables (chapters 12, 13 and 14) ----------------------------------------------

#: Families whose real code stores some weights input-major (GPT-2's ``Conv1D``:
#: ``(in_features, out_features)``): the first-dimension sizes that differ from
#: the table's ``rows``, by tensor name.
INPUT_MAJOR_ROWS: dict[str, dict[str, sp.Expr]] = {
    "gpt2": {"attention.qkv": d_model, "attention.o": h * d_head, "mlp.up": d_model, "mlp.down": d_ff},
}


def first_dimension(tensor: Tensor, family: str) -> sp.Expr:
    """Size of ``tensor``'s first dimension in ``family``'s real code (its elements for a 1-d tensor).

    FSDP2 shards and pads each parameter along this dimension (:mod:`everybyte.parallel`).
    """
    rows = INPUT_MAJOR_ROWS.get(family, {}).get(tensor.name, tensor.rows)
    return tensor.numel if rows is None else rows


#: The tensor table of each family (:data:`everybyte.families.FAMILIES`).
TABLES: dict[str, tuple[Tensor, ...]] = {name: TABLE_BY_NAME[family.table] for name, family in FAMILIES.items()}

#: Reader's labels of the count terms, by group key, in the order of the book.
GROUP_LABELS: dict[str, str] = {
    "token_embedding": "token embedding",
    "position_embedding": "position embedding",
    "embedding_norm": "embedding norm",
    "embedding_projections": "embedding projections",
    "per_layer_embeddings": "per-layer input embeddings",
    "attention_weights": "attention weights",
    "attention_biases": "attention biases",
    "attention_norms": "norms inside attention (q/k, latent)",
    "attention_sinks": "attention sinks",
    "state_space_mixers": "Mamba mixers",
    "linear_attention": "gated DeltaNet mixers",
    "convolution_mixers": "short-convolution mixers",
    "feed_forward_weights": "feed-forward weights",
    "feed_forward_biases": "feed-forward biases",
    "activation_parameters": "activation parameters",
    "router": "router",
    "shared_experts": "shared experts",
    "layer_norms": "layer norms",
    "layer_extras": "per-layer extras (AltUp, LAuReL, per-layer inputs)",
    "final_norm": "final layer norm",
    "output_layer": "output layer",
    "output_bias": "output-layer bias",
}
#: The book section that derives each group of chapter 14's tables.
GROUP_SECTIONS: dict[str, str] = {
    "embedding_norm": "sec-zoo-dense", "embedding_projections": "sec-zoo-opt",
    "per_layer_embeddings": "sec-zoo-gemma-n", "attention_norms": "sec-zoo-dense",
    "attention_sinks": "sec-zoo-moe", "state_space_mixers": "sec-zoo-ssm", "linear_attention": "sec-zoo-ssm",
    "convolution_mixers": "sec-zoo-ssm", "activation_parameters": "sec-zoo-dense", "shared_experts": "sec-zoo-moe",
    "layer_extras": "sec-zoo-gemma-n", "output_bias": "sec-zoo-dense",
}
#: Groups whose parameters a token passes through only in the experts it is routed to.
EXPERT_GROUPS = ("feed_forward_weights", "feed_forward_biases")
SECTION = "sec-general-formula"


def group_sums(table: tuple[Tensor, ...]) -> dict[str, sp.Expr]:
    """Parameters of each group of ``table``: the sum of its tensors' elements times their counts."""
    return dict(_group_sums(table))


@lru_cache(maxsize=None)
def _group_sums(table: tuple[Tensor, ...]) -> tuple[tuple[str, sp.Expr], ...]:
    sums: dict[str, sp.Expr] = {}
    for tensor in table:
        sums[tensor.group] = sums.get(tensor.group, sp.Integer(0)) + tensor.present * tensor.count * tensor.numel
    return tuple((group, sp.factor_terms(sp.expand(expr))) for group, expr in sums.items())


def tensors(config: ModelConfig) -> list[tuple[str, str, int]]:
    """``(name, group, elements)`` of every parameter tensor the real code creates for ``config``.

    One entry per tensor (a per-layer tensor appears ``L`` times; tied weights
    once), from the family's tensor table; the tests compare it with
    ``model.named_parameters()`` of transformers.
    """
    from .evaluate import exact
    from .validation import model_config

    values = model_config("config", config).values()
    out = []
    for tensor in TABLES[config.family.name]:
        if exact(tensor.present, values):
            out += [(tensor.name, tensor.group, exact(tensor.numel, values))] * exact(tensor.count, values)
    return out


def tensor_shapes(config: ModelConfig) -> list[tuple[str, int, int]]:
    """``(name, elements, first dimension)`` of every parameter tensor of ``config``, as :func:`tensors`."""
    from .evaluate import exact
    from .validation import model_config

    values = model_config("config", config).values()
    family = config.family.name
    out = []
    for tensor in TABLES[family]:
        if exact(tensor.present, values):
            shape = (tensor.name, exact(tensor.numel, values), exact(first_dimension(tensor, family), values))
            out += [shape] * exact(tensor.count, values)
    return out


def _largest_candidate(tensor: Tensor) -> sp.Expr:
    """The elements of ``tensor`` where it exists: 0 where its count of layers may be 0."""
    value = tensor.present * tensor.numel
    if tensor.count.is_positive:
        return value
    return sp.Piecewise((0, sp.Eq(tensor.count, 0)), (value, True))


def buffer_bytes(buffers: tuple[Buffer, ...] = BUFFERS) -> sp.Expr:
    """Bytes of every buffer of ``buffers`` (rotary frequencies, masks, scales; chapters 13 and 14)."""
    return sp.expand(sp.Add(*(b.present * b.count * b.numel * b.element_bytes for b in buffers)))


def parameter_count_terms(table: tuple[Tensor, ...], section: str = "sec-general-formula") -> list[Term]:
    """The count terms of a family: one per group, the total, the active count, and the table's shape.

    Keys: ``parameters/<group>``, ``parameters`` (the total, a sum of
    references), ``parameters_active`` (a token's share under a mixture of
    experts), ``parameter_tensors`` (how many tensors) and
    ``largest_parameter_tensor`` (elements of the largest).
    """
    sums = group_sums(table)
    unknown = sorted(set(sums) - set(GROUP_LABELS))
    if unknown:
        raise ValueError(f"tensor groups without a label: {', '.join(unknown)}")
    terms = []
    for group in GROUP_LABELS:
        if group not in sums:
            continue
        expr = sums[group]
        where = GROUP_SECTIONS.get(group, section)
        per_layer = sp.expand(expr / L)
        if not per_layer.has(L) and expr.has(L):
            terms.append(Term(f"parameters/{group}", GROUP_LABELS[group], per_layer, L, {"parameters"}, where,
                              "parameters"))
        else:
            terms.append(Term(f"parameters/{group}", GROUP_LABELS[group], expr, 1, {"parameters"}, where,
                              "parameters"))
    active = sp.Add(*(sums[g].xreplace({n_experts: k_experts}) if g in EXPERT_GROUPS else sums[g] for g in sums))
    terms += [
        Term("parameters", "total parameters", sp.Add(*(ref(t.key) for t in terms)), tags={"total"},
             section=section, unit="parameters"),
        Term("parameters_active", "parameters a token passes through", sp.expand(active), tags={"total"},
             section=section, unit="parameters"),
        Term("parameter_tensors", "parameter tensors",
             sp.expand(sp.Add(*(t.present * t.count for t in table))), tags={"structure"},
             section="sec-training-step", unit="tensors"),
        Term("largest_parameter_tensor", "elements of the largest parameter tensor",
             sp.Max(*(_largest_candidate(t) for t in table), evaluate=False), tags={"structure"},
             section="sec-training-step", unit="parameters"),
    ]
    return terms


#: Named terms of the whole model, general layout (chapter 12), keyed by group.
GENERAL_TERMS: dict[str, sp.Expr] = group_sums(DECODER)
#: The general parameter count, one expression (chapter 12).
general_total_parameters = sp.Add(*GENERAL_TERMS.values())
#: Parameters one token passes through: ``k_experts`` of the ``n_experts`` experts.
general_active_parameters = sp.Add(*(
    expr.xreplace({n_experts: k_experts}) if key in EXPERT_GROUPS else expr for key, expr in GENERAL_TERMS.items()
))
#: Per-layer pieces of the general formula (chapter 12 derives each).
general_attention_weights = sp.expand(GENERAL_TERMS["attention_weights"] / L)
general_attention_biases = sp.expand(GENERAL_TERMS["attention_biases"] / L)
general_feed_forward_weights = sp.expand(GENERAL_TERMS["feed_forward_weights"] / (L * n_experts))
general_feed_forward_biases = sp.expand(GENERAL_TERMS["feed_forward_biases"] / (L * n_experts))
general_router = sp.expand(GENERAL_TERMS["router"] / L)
general_layer_norms = sp.expand(GENERAL_TERMS["layer_norms"] / L)


def layout_substitutions(config: ModelConfig) -> dict:
    """Substitutions that specialise the general formula to ``config``'s layout (for display).

    The switches take their 0/1 values; for plain multi-head attention ``h_kv``
    becomes ``h`` and, when the heads tile ``d_model``, ``d_head`` becomes
    ``d_model / h``; a dense model has one expert.
    """
    from .symbols import BY_NAME
    from .validation import model_config

    model_config("config", config)

    switches = ("beta_qkv", "beta_o", "beta_ff", "gamma", "nu", "rho", "pi", "phi", "tau", "f_qkv", "f_exp")
    values = config.values()
    subs = {BY_NAME[name]: values[name] for name in switches}
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


def _table_terms(config: ModelConfig) -> dict[str, sp.Expr]:
    from .validation import model_config

    return group_sums(TABLES[model_config("config", config).family.name])


def parameter_terms(config: ModelConfig) -> dict[str, sp.Expr]:
    """Count terms of the whole model of ``config``'s layout, keyed by group (terms that vanish left out).

    Derived in chapters 3 and 12; checked against the real model code of every
    supported ``model_type`` in the tests.
    """
    return _specialise(_table_terms(config), config)


def layer_parameter_terms(config: ModelConfig) -> dict[str, sp.Expr]:
    """Count terms of one Transformer layer of ``config``'s layout (chapter 3)."""
    per_layer = {name: expr / L for name, expr in _table_terms(config).items() if expr.has(L)}
    return _specialise(per_layer, config)


def total_parameters_expr(config: ModelConfig) -> sp.Expr:
    """The total parameter count of ``config``'s layout, as one expression."""
    return sp.Add(*parameter_terms(config).values())


def active_parameters_expr(config: ModelConfig) -> sp.Expr:
    """Parameters one token passes through (differs from the total for a mixture of experts)."""
    sums = _table_terms(config)
    active = {g: e.xreplace({n_experts: k_experts}) if g in EXPERT_GROUPS else e for g, e in sums.items()}
    return sp.Add(*_specialise(active, config).values())
