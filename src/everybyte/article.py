"""The source article's claims, and the corrected values the package computes.

The claimed values are the article's own printed numbers (data, typed once
here); every corrected value is computed from the package's expressions.  The
errata page of the book and the tests both read :func:`errata`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import memory, parameters, scaling
from .presets import ARTICLE_EXAMPLE, GPT3_175B
from .evaluate import exact
from .pipeline import count_params
from .symbols import B, L, N, S, d_ff, d_model

#: The article's GPT-3 per-layer formula, as printed: ``8 d^2 + 8 d d_ff + 2 d``.
ARTICLE_GPT3_LAYER = 8 * d_model**2 + 8 * d_model * d_ff + 2 * d_model
#: The article's value for that layer: "≈ 1.1 亿" = 110 million.
ARTICLE_GPT3_LAYER_CLAIM = 110_000_000
#: "1.1 亿 × 96 = 105.6 亿".
ARTICLE_GPT3_LAYERS_CLAIM = 10_560_000_000

#: The workload used to put numbers on the working-memory rule (chapter 7).
EXAMPLE_BATCH = 8
EXAMPLE_SEQ = 1024

#: The article's "input dimension" D in ``8BD``.
D = sp.Symbol("D", positive=True, integer=True)
ARTICLE_STEADY_STATE = 16 * N + 8 * B * D


@dataclass(frozen=True)
class Erratum:
    """One error of the article: what it says, what is right, and where the book shows it."""

    number: int
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


def errata() -> list[Erratum]:
    """Every error the book finds in the article, with corrected values computed here."""
    ex = ARTICLE_EXAMPLE.symbol_values()
    ffn = exact(parameters.ARTICLE_FEED_FORWARD, ex)
    layer = exact(parameters.ARTICLE_LAYER, ex)
    total = exact(parameters.ARTICLE_TOTAL_AS_EVALUATED, ex)
    total_untied = exact(parameters.ARTICLE_TOTAL_WITH_OUTPUT, ex)
    from .presets import GPT2_SMALL

    gpt2 = count_params(GPT2_SMALL).total
    fp32 = memory.model_memory_bytes(total, "fp32")
    fp16 = memory.model_memory_bytes(total, "fp16")

    work = memory.workload_values(ARTICLE_EXAMPLE, EXAMPLE_BATCH, EXAMPLE_SEQ, n_params=total)
    rule = exact(memory.TRAINING_MEMORY_RULE, {N: total, memory.b_param: 4})
    peak = exact(memory.peak_memory("gpu-mixed"), work)

    listed = sp.Add(*memory.ARTICLE_ACTIVATION_TERMS.values())
    per_layer = memory.layer_activation_memory("gpu-mixed")

    right_multiplier = scaling.multiplier_for_gain(1.1, scaling.ARTICLE_ALPHA)
    wrong_multiplier = float(scaling.ARTICLE_PARAMETER_MULTIPLIER.subs(scaling.alpha, scaling.ARTICLE_ALPHA))

    g3 = GPT3_175B.symbol_values()
    g3_article_formula = exact(ARTICLE_GPT3_LAYER, g3)
    g3_layer = exact(sp.Add(*parameters.layer_parameter_terms(GPT3_175B).values()), g3)
    g3_total = count_params(GPT3_175B)

    E = sp.Symbol("E")

    def per_e(expr):
        expr = sp.expand(expr.subs(d_ff, 4 * d_model)).subs(B * S * d_model, E)
        return sp.sstr(sp.collect(expr, [E]), order="grlex").replace("**", "^").replace("*", "")

    items = [
        ("arithmetic", "Example calculation", "feed-forward parameters 2·768·3072 + 768 + 3072",
         _n(4_719_616), _n(ffn), "04_worked_example"),
        ("arithmetic", "Example calculation", "parameters per layer (carries the error above)",
         _n(7_081_984), _n(layer), "04_worked_example"),
        ("arithmetic", "Example calculation", "parameters of 12 layers",
         _n(84_983_808), _n(12 * layer), "04_worked_example"),
        ("arithmetic", "Example calculation", "total parameters (the '=' is also missing)",
         _n(123_383_808), _n(total), "04_worked_example"),
        ("formula", "Example calculation", "the total leaves out Parameters_output, which the article's own formula adds",
         _n(123_383_808), f"{_n(total_untied)} with a separate output layer; {_n(total)} only if it is tied to the embedding", "04_worked_example"),
        ("formula", "Example calculation", "the example stands for a GPT-2-small-sized model but drops attention biases, learned positions and the final layer norm",
         _n(123_383_808), f"{_n(gpt2)} for GPT-2 small's real layout (vocabulary 50,257)", "04_worked_example"),
        ("unit", "Example calculation", "'about 123 亿 parameters' (12.3 billion)",
         "12,300,000,000", f"about {total / 1e6:.0f} million (1.23 亿)", "04_worked_example"),
        ("arithmetic", "Model memory", "model memory in fp32 / fp16 (carries the count error)",
         "493,535,232 B / 246,767,616 B", f"{_n(fp32)} B / {_n(fp16)} B ({fp32 / 2**20:.1f} MiB / {fp16 / 2**20:.1f} MiB)", "05_model_memory"),
        ("formula", "Working memory", f"training memory ≈ 4 × fp32 model memory: that is exactly 16N, the weights, gradients and Adam states alone, with nothing left for activations (B={EXAMPLE_BATCH}, S={EXAMPLE_SEQ})",
         "1,976 MB", f"{peak / 1e9:.2f} GB peak (rule: {rule / 1e9:.3f} GB)", "06_working_memory"),
        ("formula", "Steady-state memory", "input data take 8BD bytes with D the 'input dimension'",
         "8BD", "8BS: int64 token ids of shape (B, S)", "07_steady_state_memory"),
        ("formula", "Peak memory", "the listed per-layer activation terms add up to 20E, yet the formula says 14E",
         "L(14E + 4BSS) + 6BSV", f"L({per_e(listed)}) + 6BSV by the article's own list", ("08_activation_and_peak_memory", "13_does_the_formula_hold")),
        ("formula", "Peak memory", "the attention matrix is 4BSS bytes: one S×S matrix per sequence, no heads",
         "4BSS", "h·B·S² scores per layer: 7hBS² bytes saved in mixed precision (fp32 softmax, 1-byte dropout mask, 16-bit copy)", ("08_activation_and_peak_memory", "13_does_the_formula_hold")),
        ("formula", "Peak memory", "per-layer activations: the second linear layer's input is 4·d_model wide (8E, not 2E); the Q, K, V outputs, the second layer norm and the dropout masks are missing",
         "14E + 4BSS", f"{per_e(per_layer)} bytes (GPT-2 layer, mixed precision on a GPU)", ("08_activation_and_peak_memory", "13_does_the_formula_hold")),
        ("formula", "Scaling laws", "a 10 % gain needs 10^(1/α) ≈ 3.7 times the parameters (α = 0.07)",
         "3.7 (and 10^(1/0.07) is really " + f"{wrong_multiplier:.2e})", f"1.1^(1/α) = {right_multiplier:.2f}", "09_scaling_laws"),
        ("unit", "GPT-3 example", "GPT-3 has '175 亿' parameters (17.5 billion)",
         "17,500,000,000", "175 billion (1750 亿)", "11_gpt3_example"),
        ("formula", "GPT-3 example", "one decoder layer has 8d² + 8d·d_ff + 2d ≈ 1.1 亿 parameters",
         f"{_n(ARTICLE_GPT3_LAYER_CLAIM)} (the formula itself gives {_n(g3_article_formula)})", f"{_n(g3_layer)} (12d² + 13d)", "11_gpt3_example"),
        ("arithmetic", "GPT-3 example", "96 layers: 1.1 亿 × 96 = 105.6 亿",
         _n(ARTICLE_GPT3_LAYERS_CLAIM), f"{_n(96 * g3_layer)}; with embeddings and the final norm {_n(g3_total.total)}", "11_gpt3_example"),
        ("translation", "Steady-state memory", "'渐变' (gradual change) stands for gradients; '型号内存' (model-number memory) for model memory",
         "渐变, 型号内存", "gradients, model memory", ("05_model_memory", "07_steady_state_memory")),
        ("translation", "Peak memory", "'注意力障碍' (attention disorder) stands for the attention block",
         "注意力障碍", "attention block", "08_activation_and_peak_memory"),
        ("translation", "Efficiency techniques", "'随着LLM课程的不断发展' (as LLM courses develop) stands for 'as the field of LLMs develops'",
         "LLM 课程", "the LLM field", "10_efficiency_techniques"),
    ]
    return [Erratum(i, *row[:-1], row[-1] if isinstance(row[-1], tuple) else (row[-1],))
            for i, row in enumerate(items, start=1)]
