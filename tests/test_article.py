"""The errata against values worked out independently: hand arithmetic, the article's own numbers, a measurement."""

import pytest

import everybyte as eb
from everybyte import article

D, V, L, FF = 768, 50_000, 12, 3072  # the article's example
EXAMPLE_TOTAL = 12 * (4 * D * D + (2 * D * FF + D + FF) + 2 * 2 * D) + V * D


def by_key():
    return {e.key: e for e in article.errata()}


def test_numbers_run_from_one_without_gaps_and_keys_are_unique():
    errata = article.errata()
    assert [e.number for e in errata] == list(range(1, 24))
    assert len({e.key for e in errata}) == len(errata) == len(article.ORDER)
    assert all(article.number(e.key) == e.number and article.erratum(e.key) == e for e in errata)
    with pytest.raises(ValueError, match="key"):
        article.number("gpt2_small")


def test_the_gpt2_small_comparison_is_not_an_erratum():
    # The article never says its example is GPT-2 small: chapter 4 keeps the comparison as a remark.
    assert not any("GPT-2" in e.claim for e in article.errata())


def test_worked_example_by_hand():
    e = by_key()
    assert e["feed_forward"].corrected == f"{2 * 768 * 3072 + 768 + 3072:,}" == "4,722,432"
    assert e["layer"].corrected == f"{4 * 768**2 + 4_722_432 + 4 * 768:,}"
    assert e["layers"].corrected == f"{12 * (4 * 768**2 + 4_722_432 + 4 * 768):,}"
    assert e["total"].corrected == f"{EXAMPLE_TOTAL:,}" == "123,417,600"
    assert e["output_layer"].corrected.startswith(f"{EXAMPLE_TOTAL + V * D:,}")
    assert e["model_memory"].corrected.startswith(f"{4 * EXAMPLE_TOTAL:,} B / {2 * EXAMPLE_TOTAL:,} B")


def test_inference_rule_against_hand_arithmetic():
    weights = 4 * EXAMPLE_TOTAL
    cache = 2 * L * 8 * 1024 * D * 4  # keys and values, every layer, B = 8, S = 1024, fp32
    text = article.erratum("inference_rule").corrected
    assert f"{(weights + cache) / 1e9:.2f} GB" in text and "B = 8, S = 1,024" in text
    assert f"{(weights + cache) / weights:.2f} × model memory" in text
    assert f"{EXAMPLE_TOTAL / (2 * L * D):,.0f} tokens" in text  # 1 + 2 L d B S / N = 2


def test_training_rule_states_its_workload_and_setting():
    text = article.erratum("training_rule").corrected
    assert "B = 8, S = 1,024" in text and "bf16 autocast" in text and "eager" in text and "dropout on" in text
    assert "CUDA (predicted)" in text
    assert f"{16 * EXAMPLE_TOTAL / 1e9:.3f} GB" in text  # the rule: 16 bytes per parameter
    # The peak has the fp32 weights and AdamW's two moments, the saved fp32 log-probabilities and the two
    # fp32 (B S, V) tensors of the loss backward at the least: far above the rule.
    peak = article.step_peak(eb.ARTICLE_EXAMPLE, 8, 1024, article.EXAMPLE_SETUP)["training_peak"]
    assert peak > 12 * EXAMPLE_TOTAL + 3 * 4 * 8 * 1024 * V
    assert f"{peak / 1e9:.2f} GB" in text


def test_step_peak_of_a_real_model_is_the_estimate():
    setup = eb.Setup("bf16", "eager", "cuda")
    est = eb.estimate(eb.GPT2_SMALL, eb.Workload(8, 1024), setup)
    assert article.step_peak(eb.GPT2_SMALL, 8, 1024, setup) == {
        k: v for k, v in est.bytes.items() if k == "training_peak" or k.startswith("training_peak/")}


def test_example_overcount_is_the_final_norm_and_position_ids():
    # ln_f input (4 bytes per element of the fp32 residual stream), its two fp32 statistics, int64 positions.
    assert article.example_overcount(8, 1024, article.EXAMPLE_SETUP) == 4 * 8 * 1024 * D + 8 * 8 * 1024 + 8 * 1024


def test_activation_errata_by_hand():
    e = by_key()
    # The article's list: 4E + 2E + 2E + 2E + 8E + 2E; with 4E for each of two norms, 4E more.
    assert "L(20E + 4BS²) + 6BSV" in e["listed_sum"].corrected
    assert "L(24E + 4BS²) + 6BSV" in e["listed_sum"].corrected
    # fp32 softmax output (4) + 1-byte CUDA mask + 16-bit probabilities entering P V (2).
    assert f"{4 + 1 + 2}hBS²" in e["attention_matrix"].corrected
    # Chapter 8's layer: ln_1 4, c_attn input 2, q and k 4, v 2, merged heads 2, mask 1, ln_2 4, c_fc input 2,
    # GELU input 8, GELU output 8, mask 1 (E each) ; gelu_new saves three more d_ff-wide 16-bit tensors.
    chapter_8 = 4 + 2 + 4 + 2 + 2 + 1 + 4 + 2 + 8 + 8 + 1
    assert f"{chapter_8}E + 16BS + 7hBS²" in e["per_layer"].corrected
    assert f"{chapter_8 + 3 * 8}E + 16BS + 7hBS²" in e["per_layer"].corrected
    assert f"{2 * (4 + 8)}d_model²" in e["per_layer"].corrected  # 16-bit copies of 4d² + 8d² weights


def test_gpt3_errata_read_yi_as_billion():
    d = 12288
    layer = 12 * d * d + 13 * d
    e = by_key()
    assert e["gpt3_layer"].claimed.startswith("1,100,000,000")
    assert f"{8 * d * d + 8 * d * 4 * d + 2 * d:,}" in e["gpt3_layer"].claimed
    assert e["gpt3_layer"].corrected.startswith(f"{layer:,}")
    assert e["gpt3_layers"].claimed == "105,600,000,000"
    total = 96 * layer + 50257 * d + 2048 * d + 2 * d
    assert e["gpt3_layers"].corrected.startswith(f"{96 * layer:,}") and f"{total:,}" in e["gpt3_layers"].corrected
    assert "69.4 billion" in e["gpt3_layers"].claim


def test_scaling_by_hand():
    assert article.erratum("scaling").corrected == f"1.1^(1/α) = {1.1 ** (1 / 0.07):.2f}"


def test_translation_slips_are_terms_of_the_seed():
    seed = {"型号重量", "解码功能", "注意输出", "注意力障碍", "渐变", "型号内存", "LLM 课程"}
    slips = {e.claimed for e in article.errata() if e.kind == "translation"}
    assert {part for s in slips for part in s.split(", ")} == seed


def test_setting_words():
    assert article.setting_words(eb.GPT2_SMALL, eb.Setup("fp32", "sdpa")) == (
        "fp32, SDPA attention, dropout on, gelu_new, the CPU")
    no_dropout = eb.GPT2_SMALL.replace(embedding_dropout=0.0, attention_dropout=0.0, residual_dropout=0.0)
    assert "dropout off" in article.setting_words(no_dropout, eb.Setup("bf16", "eager", "cuda"))
