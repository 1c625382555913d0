"""The source article's claims, and the corrected values the package computes.

The source is the unite.ai article "Understanding Large Language Model
Parameters and Memory Requirements: A Deep Dive", read in a Chinese
translation (the book's seed).  The claimed values are the article's own
printed numbers (data, typed once here); every corrected value is computed from
the package's expressions.  The errata page of the book, the chapters'
admonitions (through :func:`number`) and the tests all read :func:`errata`.

Each erratum has a stable ``key``; its number is its place in :data:`ORDER`
(the errors in the order of the article, then the translation slips, with
21-23 added by a later reading so that 1-20 keep their numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from . import memory, parameters, scaling
from .presets import ARTICLE_EXAMPLE, GPT3_175B
from .evaluate import exact
from .options import Setup, Workload
from .pipeline import count_params, estimate
from .symbols import B, D_article, N, S, b_param, d_ff, d_model, h

#: The article's GPT-3 per-layer formula, as printed: ``8 d^2 + 8 d d_ff + 2 d``.
ARTICLE_GPT3_LAYER = 8 * d_model**2 + 8 * d_model * d_ff + 2 * d_model
#: The article's value for that layer, "≈ 1.1 亿": read as the original's
#: "1.1 billion", since the translation renders "billion" as 亿 (erratum 15's
#: "175 亿" for GPT-3's 175 billion).
ARTICLE_GPT3_LAYER_CLAIM = 1_100_000_000
#: "1.1 亿 × 96 = 105.6 亿": the original's 1.1 billion × 96 = 105.6 billion.
ARTICLE_GPT3_LAYERS_CLAIM = 105_600_000_000
#: GPT-3's published size, 175 billion parameters (Brown et al. 2020, Table 2.1).
GPT3_PUBLISHED_PARAMETERS = 175 * 10**9

#: The workload the book puts on the article's rules of thumb (chapters 6 and 8).
#: The article names none: these are the book's choice, stated wherever used.
EXAMPLE_BATCH = 8
EXAMPLE_SEQ = 1024
#: The setting of the article's memory section (after Rees 2023, nanoGPT):
#: 16-bit autocast with fp32 weights, eager attention, on a GPU.  The package
#: predicts CUDA; nothing in the book is measured on one.
EXAMPLE_SETUP = Setup("bf16", "eager", "cuda")

#: The article's "input dimension" D in ``8BD`` (``symbols.D_article``).
D = D_article
ARTICLE_STEADY_STATE = 16 * N + 8 * B * D_article

#: Every erratum's key, in the order of the numbers (see the module docstring).
ORDER: tuple[str, ...] = (
    "feed_forward", "layer", "layers", "total", "output_layer", "unit_123", "model_memory",
    "inference_rule", "training_rule", "input_term", "listed_sum", "attention_matrix", "per_layer",
    "scaling", "gpt3_unit", "gpt3_layer", "gpt3_layers",
    "gradients_term", "attention_block_term", "courses_term",
    "model_weights_term", "decoder_term", "attention_output_term",
)


def number(key: str) -> int:
    """The number of the erratum ``key`` (what the chapters print; never typed there)."""
    from .validation import choice

    choice("key", key, ORDER)
    return ORDER.index(key) + 1


@dataclass(frozen=True)
class Erratum:
    """One error of the article: what it says, what is right, and where the book shows it."""

    number: int
    key: str
    kind: str  # arithmetic, formula, unit, translation
    section: str
    claim: str
    claimed: str
    corrected: str
    chapters: tuple[str, ...]

    @property
    def chapter(self) -> str:
        """The chapter that reproduces the claim first."""
        return self.chapters[0]


def _n(value) -> str:
    return f"{value:,}"


def setting_words(config, setup: Setup) -> str:
    """A training setting in words: dtype, attention kernel, dropout, device (what every peak states)."""
    compute = "fp32" if setup.dtype == "fp32" else f"{setup.dtype} autocast (fp32 weights)"
    kernel = "eager attention" if setup.attention == "eager" else "SDPA attention"
    dropout = config.embedding_dropout or config.attention_dropout or config.residual_dropout
    device = "CUDA (predicted)" if setup.device == "cuda" else "the CPU"
    return f"{compute}, {kernel}, dropout {'on' if dropout else 'off'}, {config.activation}, {device}"


def step_peak(config, batch: int, seq: int, setup: Setup) -> dict[str, int]:
    """The three candidate moments of chapter 13's training-step peak and the peak, exact ints.

    For a config with real code this is what :func:`everybyte.estimate` gives;
    for the article's example, whose layout no real code has, it evaluates the
    same per-tensor accounting (GPT-2's code, see ``activations``) at the
    example's sizes through :func:`everybyte.accounting.formula`.  That count
    includes a final layer norm and position ids the example lacks
    (:func:`example_overcount` says how much).
    """
    from .accounting import formula

    values = {**config.symbol_values(), B: batch, S: seq}
    keys = ("training_peak/start_of_backward", "training_peak/end_of_backward", "training_peak/optimizer_update",
            "training_peak")
    return {key: exact(formula(config, key, setup), values) for key in keys}


def example_overcount(batch: int, seq: int, setup: Setup) -> int:
    """Bytes the GPT-2 accounting counts for the article's example that its layout has not (ln_f, position ids)."""
    from .accounting import specialised_terms

    values = {**ARTICLE_EXAMPLE.symbol_values(), B: batch, S: seq}
    extra = [t for t in specialised_terms(ARTICLE_EXAMPLE, setup, "activations")
             if t.key.startswith("activations/final_norm/") or t.key == "activations/position_ids"]
    return sum(exact(t.expr, values) for t in extra)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
#: Factors in the order the book writes them (h B S², E, d_model²).
_FACTOR_ORDER = ("h", "B", "S", "E", "L", "d_model", "N", "V")


def _term_text(term: sp.Expr) -> str:
    numerator, denominator = sp.fraction(term)
    if denominator != 1:
        return f"{_term_text(numerator)}/{_term_text(denominator)}"
    coefficient, factors = term.as_coeff_Mul()
    powers = sorted(factors.as_powers_dict().items(),
                    key=lambda item: _FACTOR_ORDER.index(str(item[0])) if str(item[0]) in _FACTOR_ORDER else 99)
    parts = [str(base) + (str(exp).translate(_SUPERSCRIPT) if exp != 1 else "") for base, exp in powers if base != 1]
    text = ""
    for part in parts:  # a name longer than one letter is set apart by a dot: 2BSL·d_model
        long_name = len(part.rstrip("⁰¹²³⁴⁵⁶⁷⁸⁹")) > 1 or len(text) > 1 and "_" in text
        text += ("·" if text and long_name else "") + part
    return (str(coefficient) if coefficient != 1 or not text else "") + text


def readable(expr: sp.Expr) -> str:
    """A byte expression as the book prints it: ``38E + 16BS + 7hBS²`` (terms in E first)."""
    terms = sp.Add.make_args(sp.expand(expr))
    E = sp.Symbol("E")
    ordered = sorted(terms, key=lambda t: (not t.has(E), sp.default_sort_key(t)))
    return " + ".join(_term_text(t) for t in ordered).replace("+ -", "− ")


def _per_e(expr) -> str:
    """A per-layer byte expression with d_ff = 4 d_model, h d_head = d_model, written with E = B S d_model."""
    from .symbols import d_head

    E = sp.Symbol("E")
    expr = sp.expand(expr.subs({d_ff: 4 * d_model, d_head: d_model / h})).subs(B * S * d_model, E)
    return readable(expr)


def _layer_bytes(config, setup: Setup, with_copies: bool) -> sp.Expr:
    """One layer's saved bytes (B > 1 branch) in ``setup``, by chapter 13's accounting."""
    from .accounting import specialised_terms
    from .activations import WEIGHT_COPIES, general_branch

    return sp.Add(*(general_branch(t.each) for t in specialised_terms(config, setup, "activations/layer")
                    if with_copies or WEIGHT_COPIES not in t.tags))


def errata() -> list[Erratum]:
    """Every error the book finds in the article, with corrected values computed here."""
    return list(_errata())


@lru_cache(maxsize=1)
def _errata() -> tuple[Erratum, ...]:
    from .presets import GPT2_SMALL

    n = {key: number(key) for key in ORDER}
    ex = ARTICLE_EXAMPLE.symbol_values()
    ffn = exact(parameters.ARTICLE_FEED_FORWARD, ex)
    layer = exact(parameters.ARTICLE_LAYER, ex)
    total = exact(parameters.ARTICLE_TOTAL_AS_EVALUATED, ex)
    total_untied = exact(parameters.ARTICLE_TOTAL_WITH_OUTPUT, ex)
    fp32 = memory.model_memory_bytes(total, "fp32")
    fp16 = memory.model_memory_bytes(total, "fp16")

    # The 2x inference rule: fp32 weights (the article's 494 MB) plus the KV cache.
    workload = Workload(EXAMPLE_BATCH, EXAMPLE_SEQ)
    inference = estimate(ARTICLE_EXAMPLE, workload, Setup("fp32"))
    weights, cache = inference["weights"], inference["kv_cache"]
    tokens = EXAMPLE_BATCH * EXAMPLE_SEQ
    rule_factor = sp.expand(sp.cancel((memory.model_memory + memory.kv_cache) / memory.model_memory))
    break_even = Fraction(weights * tokens, cache)  # the KV cache is linear in B S
    workload_words = (f"B = {EXAMPLE_BATCH}, S = {EXAMPLE_SEQ:,} (the book's workload; the article names none)")

    # The 4x training rule against chapter 13's per-tensor peak.
    rule = exact(memory.TRAINING_MEMORY_RULE, {N: total, b_param: 4})
    moments = step_peak(ARTICLE_EXAMPLE, EXAMPLE_BATCH, EXAMPLE_SEQ, EXAMPLE_SETUP)
    peak = moments["training_peak"]
    winner = max((k for k in moments if k != "training_peak"), key=moments.get).removeprefix("training_peak/")

    listed = sp.Add(*memory.ARTICLE_ACTIVATION_TERMS.values())
    per_norm = listed + memory.ARTICLE_ACTIVATION_TERMS["layer norm"]  # 4E for each of two norms
    per_layer = memory.layer_activation_memory("gpu-mixed")
    score_bytes = sp.expand(per_layer).coeff(S, 2) / (B * h)
    fused = _layer_bytes(GPT2_SMALL, Setup("bf16", "sdpa", "cuda"), with_copies=False)
    if sp.expand(fused).coeff(S, 2) != 0:
        raise AssertionError("the fused kernel was expected to save no S x S tensor")
    hf_layer = _layer_bytes(GPT2_SMALL, EXAMPLE_SETUP, with_copies=False)
    hf_copies = _layer_bytes(GPT2_SMALL, EXAMPLE_SETUP, with_copies=True) - hf_layer
    setting = "16-bit autocast, eager attention, dropout on, on CUDA"

    right_multiplier = scaling.multiplier_for_gain(1.1, scaling.ARTICLE_ALPHA)
    wrong_multiplier = float(scaling.ARTICLE_PARAMETER_MULTIPLIER.subs(scaling.alpha, scaling.ARTICLE_ALPHA))

    g3 = GPT3_175B.symbol_values()
    g3_article_formula = exact(ARTICLE_GPT3_LAYER, g3)
    g3_layer = exact(sp.Add(*parameters.layer_parameter_terms(GPT3_175B).values()), g3)
    g3_total = count_params(GPT3_175B).total
    g3_layers = GPT3_175B.n_layers * g3_layer

    items = {
        "feed_forward": ("arithmetic", "Example calculation", "feed-forward parameters 2·768·3072 + 768 + 3072",
                         _n(4_719_616), _n(ffn), "04_worked_example"),
        "layer": ("arithmetic", "Example calculation", "parameters per layer (carries the error above)",
                  _n(7_081_984), _n(layer), "04_worked_example"),
        "layers": ("arithmetic", "Example calculation", "parameters of 12 layers",
                   _n(84_983_808), _n(12 * layer), "04_worked_example"),
        "total": ("arithmetic", "Example calculation", "total parameters (the '=' is also missing)",
                  _n(123_383_808), _n(total), "04_worked_example"),
        "output_layer": ("formula", "Example calculation",
                         "the total leaves out Parameters_output, which the article's own formula adds",
                         _n(123_383_808), f"{_n(total_untied)} with a separate output layer; {_n(total)} only if it "
                         "is tied to the embedding", "04_worked_example"),
        "unit_123": ("unit", "Example calculation", "'about 123 亿 parameters' (12.3 billion)",
                     "12,300,000,000", f"about {total / 1e6:.0f} million (1.23 亿)", "04_worked_example"),
        "model_memory": ("arithmetic", "Model memory", "model memory in fp32 / fp16 (carries the count error)",
                         "493,535,232 B / 246,767,616 B",
                         f"{_n(fp32)} B / {_n(fp16)} B ({fp32 / 2**20:.1f} MiB / {fp16 / 2**20:.1f} MiB)",
                         "05_model_memory"),
        "inference_rule": ("formula", "Working memory",
                           "inference working memory ≈ 2 × model memory: a constant factor, where the KV cache "
                           "grows with the batch and the sequence length",
                           "2 × 494 MB = 988 MB ≈ 1 GB",
                           f"weights + KV cache = {(weights + cache) / 1e9:.2f} GB in fp32 at {workload_words}: "
                           f"{weights / 1e6:.0f} MB of weights and {cache / 1e6:.0f} MB of cache, "
                           f"{(weights + cache) / weights:.2f} × model memory, and more with the activations of the "
                           f"running layer; in general 1 + {readable(rule_factor - 1)} times, 2 only at B·S = "
                           f"{float(break_even):,.0f} tokens", "06_working_memory"),
        "training_rule": ("formula", "Working memory",
                          "training memory ≈ 4 × fp32 model memory: that is exactly 16N, the weights, gradients "
                          "and Adam states alone, with nothing left for activations",
                          "4 × 494 MB = 1,976 MB ≈ 2 GB",
                          f"{peak / 1e9:.2f} GB at the peak of a step ({winner.replace('_', ' ')}) at "
                          f"{workload_words}, {setting_words(ARTICLE_EXAMPLE, EXAMPLE_SETUP)}, by chapter 13's "
                          f"per-tensor accounting of GPT-2's code at the example's sizes; the rule with the "
                          f"corrected count: {rule / 1e9:.3f} GB", "06_working_memory"),
        "input_term": ("formula", "Steady-state memory", "input data take 8BD bytes with D the 'input dimension'",
                       "8BD", "8BS: int64 token ids of shape (B, S)", "07_steady_state_memory"),
        "listed_sum": ("formula", "Peak memory",
                       f"the listed per-layer activation terms add up to {_per_e(listed)}, yet the formula says "
                       "14E (and 4E per layer norm read as 4E for each of the layer's two norms: "
                       f"{_per_e(per_norm)})",
                       "L(14E + 4BSS) + 6BSV",
                       f"L({_per_e(listed)}) + 6BSV by the article's own list, whether its 4E is one norm or two "
                       f"of 2E; L({_per_e(per_norm)}) + 6BSV with 4E for each norm; neither is complete "
                       f"(errata {n['attention_matrix']} and {n['per_layer']})",
                       ("08_activation_and_peak_memory", "13_does_the_formula_hold")),
        "attention_matrix": ("formula", "Peak memory",
                             "the attention matrix is 4BSS bytes: one S×S matrix per sequence, no heads",
                             "4BSS",
                             f"h·B·S² scores per layer, saved three times over: {score_bytes}hBS² bytes under "
                             f"{setting} (fp32 softmax, 1-byte dropout mask, 16-bit copy); SDPA's fused kernel "
                             "on CUDA saves no S×S tensor at all",
                             ("08_activation_and_peak_memory", "13_does_the_formula_hold")),
        "per_layer": ("formula", "Peak memory",
                      "per-layer activations: the second linear layer's input is 4·d_model wide (8E, not 2E); the "
                      "queries, keys and values and the dropout masks are missing; the layer norms get 4E where "
                      "autocast keeps the residual stream in fp32 (4E for each of the two norms, plus statistics)",
                      "14E + 4BSS",
                      f"{_per_e(per_layer)} bytes per GPT-2 layer with nanoGPT's exact GELU under {setting} "
                      f"(chapter 8); transformers' GPT-2 (gelu_new) saves {_per_e(hf_layer)} and 16-bit weight "
                      f"copies of {_per_e(hf_copies)} (chapter 13)",
                      ("08_activation_and_peak_memory", "13_does_the_formula_hold")),
        "scaling": ("formula", "Scaling laws", "a 10 % gain needs 10^(1/α) ≈ 3.7 times the parameters (α = 0.07)",
                    f"3.7 (and 10^(1/0.07) is really {wrong_multiplier:.2e})", f"1.1^(1/α) = {right_multiplier:.2f}",
                    "09_scaling_laws"),
        "gpt3_unit": ("unit", "GPT-3 example", "GPT-3 has '175 亿' parameters (17.5 billion)",
                      "17,500,000,000", "175 billion (1750 亿)", "11_gpt3_example"),
        "gpt3_layer": ("formula", "GPT-3 example",
                       "one decoder layer has 8d² + 8d·d_ff + 2d ≈ '1.1 亿' parameters, read as the original's "
                       f"1.1 billion (亿 for 'billion', as in erratum {n['gpt3_unit']})",
                       f"{_n(ARTICLE_GPT3_LAYER_CLAIM)} (the formula itself gives {_n(g3_article_formula)})",
                       f"{_n(g3_layer)} (12d² + 13d): the value is {g3_layer / ARTICLE_GPT3_LAYER_CLAIM:.2f} times "
                       f"too small, the formula {g3_article_formula / g3_layer:.2f} times too large",
                       "11_gpt3_example"),
        "gpt3_layers": ("arithmetic", "GPT-3 example",
                        "96 layers: '1.1 亿 × 96 = 105.6 亿', the original's 1.1 billion × 96 = 105.6 billion: the "
                        f"product is right, its factor is not, and it leaves "
                        f"{(GPT3_PUBLISHED_PARAMETERS - ARTICLE_GPT3_LAYERS_CLAIM) / 1e9:.1f} billion of the 175 "
                        "billion to 'the rest'",
                        _n(ARTICLE_GPT3_LAYERS_CLAIM),
                        f"{_n(g3_layers)}; the embeddings and the final norm add only {_n(g3_total - g3_layers)} "
                        f"more, {_n(g3_total)} in all", "11_gpt3_example"),
        "gradients_term": ("translation", "Steady-state memory",
                           "'渐变' (gradual change) stands for gradients; '型号内存' (model-number memory) for model "
                           "memory", "渐变, 型号内存", "gradients (梯度), model memory (模型内存)",
                           ("05_model_memory", "07_steady_state_memory")),
        "attention_block_term": ("translation", "Peak memory",
                                 "'注意力障碍' (attention disorder) stands for the attention block",
                                 "注意力障碍", "attention block", "08_activation_and_peak_memory"),
        "courses_term": ("translation", "Efficiency techniques",
                         "'随着LLM课程的不断发展' (as LLM courses develop) stands for 'as the field of LLMs develops'",
                         "LLM 课程", "the LLM field", "10_efficiency_techniques"),
        "model_weights_term": ("translation", "Steady-state memory",
                               "'型号重量' (the heaviness of a model number) stands for 'model weights'",
                               "型号重量", "model weights (模型权重)", "07_steady_state_memory"),
        "decoder_term": ("translation", "Transformer architecture",
                         "'解码功能' (decoding function) stands for 'decoder', beside 'Encoder 编码器'",
                         "解码功能", "decoder (解码器)", "02_transformer_architecture"),
        "attention_output_term": ("translation", "Peak memory",
                                  "'注意输出' (pay attention to the output) stands for 'attention output'",
                                  "注意输出", "attention output (注意力输出)", "08_activation_and_peak_memory"),
    }
    assert tuple(items) == ORDER, "errata() and ORDER must list the same keys in the same order"
    return tuple(Erratum(n[key], key, *row[:-1], row[-1] if isinstance(row[-1], tuple) else (row[-1],))
                 for key, row in items.items())


def erratum(key: str) -> Erratum:
    """The erratum ``key``."""
    return _errata()[number(key) - 1]
