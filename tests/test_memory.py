"""Memory formulas against hand arithmetic and the published numbers of their sources."""


import pytest
import sympy as sp

import everybyte as eb
from everybyte import efficiency, memory
from everybyte.symbols import B, L, N, N_d, S, V, d_ff, d_model, h


def test_model_memory_per_dtype_by_hand():
    n = 123_383_808  # the article's count: its byte arithmetic is right
    assert eb.model_memory_bytes(n, "fp32") == 493_535_232
    assert eb.model_memory_bytes(n, "fp16") == 246_767_616
    assert eb.model_memory_bytes(n, "bf16") == 246_767_616
    assert eb.model_memory_bytes(n, "int8") == 123_383_808
    assert eb.model_memory_bytes(n, "int4") == 61_691_904
    assert eb.model_memory_bytes(7, "int4") == 4  # packed nibbles: 3.5 bytes round up


def test_mib_vs_mb():
    assert eb.units.format_bytes(493_535_232) == "493.5 MB"
    assert eb.units.format_bytes(493_535_232, binary=True) == "470.7 MiB"


def test_kv_cache_gpt2_fp16_by_hand():
    values = {**eb.GPT2_SMALL.symbol_values(), B: 1, S: 1024, memory.b_param: sp.Rational(2)}
    assert eb.exact(memory.kv_cache, values) == 2 * 12 * 1024 * 768 * 2 == 37_748_736
    est = eb.estimate(eb.GPT2_SMALL, eb.Workload(1, 1024), eb.Setup(dtype="bf16"))
    assert est["kv_cache"] == 37_748_736


def test_steady_state_is_16n_plus_8bs():
    values = {N: 1_000, B: 2, S: 3}
    assert eb.exact(memory.steady_state_memory, values) == 16_000 + 48
    sgd = sp.Add(*memory.steady_state_terms("sgd").values())
    assert eb.exact(sgd, values) == 8_000 + 48


def test_korthikanti_layer_is_34sbh_plus_5as2b_plus_layer_norm_stats():
    # Korthikanti et al. 2022, eq. (2): activations per layer = s b h (34 + 5 a s / h) bytes,
    # which leaves out the fp32 mean and 1/std of the two layer norms (2 * 2 * 4 * s b bytes).
    s, b, hid, a = 2048, 1, 12_288, 96
    expected = s * b * hid * 34 + 5 * a * s * s * b + 16 * s * b
    values = {B: b, S: s, d_model: hid, d_ff: 4 * hid, h: a}
    assert eb.exact(memory.layer_activation_memory("korthikanti"), values) == expected


def test_gpu_mixed_layer_by_hand_for_gpt2_small():
    b, s, d, a = 8, 1024, 768, 12
    e = b * s * d
    # ln_1 in/stats, attn input, qkv, softmax fp32, mask, fp16 probs, proj input, mask,
    # ln_2 in/stats, fc input, gelu in, gelu out, mask
    expected = (4 * e + 8 * b * s + 2 * e + 6 * e + 4 * a * b * s * s + a * b * s * s + 2 * a * b * s * s
                + 2 * e + e + 4 * e + 8 * b * s + 2 * e + 8 * e + 8 * e + e)
    values = {**eb.GPT2_SMALL.symbol_values(), B: b, S: s}
    assert eb.exact(memory.layer_activation_memory("gpu-mixed"), values) == expected


def test_chapter_8_settings_are_views_of_the_per_tensor_accounting():
    # The gpu-mixed view equals the GPT-2 accounting on CUDA in bf16 with eager attention and exact GELU,
    # less autocast's weight copies and the int64 bookkeeping (chapter 13 measures both on the CPU).
    cfg = eb.GPT2_SMALL.replace(activation="gelu")
    b, s = 8, 1024
    est = eb.estimate(cfg, eb.Workload(b, s), eb.Setup(dtype="bf16", device="cuda"))
    bookkeeping = est["activations/input_ids"] + est["activations/position_ids"] + est["activations/loss/labels"] + 4
    copies = est["activations/layer/weight_copies"] + est["activations/lm_head/weight_copy"]
    values = {**cfg.symbol_values(), B: b, S: s}
    assert eb.exact(memory.activation_memory("gpu-mixed"), values) == est["activations"] - bookkeeping - copies


def test_article_activation_terms_add_to_20e_not_14e():
    listed = sp.Add(*memory.ARTICLE_ACTIVATION_TERMS.values())
    assert sp.expand(listed - (20 * B * S * d_model + 4 * B * S**2)) == 0
    assert sp.expand(memory.ARTICLE_ACTIVATION_MEMORY - (L * (14 * B * S * d_model + 4 * B * S**2) + 6 * B * S * V)) == 0


def test_peak_adds_logit_gradient_and_live_logits():
    values = memory.workload_values(eb.GPT2_SMALL, 2, 16)
    peak = eb.exact(memory.peak_memory("gpu-mixed"), values)
    parts = (eb.exact(memory.steady_state_memory, values) + eb.exact(memory.activation_memory("gpu-mixed"), values)
             + 2 * 16 * 50_257 * 2 + 4 * 2 * 16 * 50_257)
    assert peak == parts


def test_zero_stages_match_the_paper_figure_1():
    # Rajbhandari et al. 2020, figure 1: 7.5B parameters, N_d = 64 GPUs.
    values = {N: 7_500_000_000, N_d: 64}
    gb = 10**9
    assert float(eb.exact(efficiency.zero_stage_1_states, values)) / gb == pytest.approx(31.4, abs=0.05)
    assert float(eb.exact(efficiency.zero_stage_2_states, values)) / gb == pytest.approx(16.6, abs=0.05)
    assert float(eb.exact(efficiency.zero_stage_3_states, values)) / gb == pytest.approx(1.9, abs=0.05)
    assert eb.exact(efficiency.mixed_precision_states, {N: 7_500_000_000}) == 120 * gb


def test_scaling_multiplier_by_hand():
    import math

    assert eb.scaling.multiplier_for_gain(1.1, 0.07) == pytest.approx(math.exp(math.log(1.1) / 0.07), rel=1e-12)
    assert eb.scaling.multiplier_for_gain(1.1, 0.07) == pytest.approx(3.902, abs=1e-3)
    assert eb.scaling.multiplier_for_loss_reduction(0.1) == pytest.approx((1 / 0.9) ** (1 / 0.076), rel=1e-12)
