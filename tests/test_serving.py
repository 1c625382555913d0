"""The KV cache and the serving terms against transformers' real caches on the CPU (chapter 16).

Every attention layout the supported families can express (multi-head,
grouped-query, multi-query, an explicit head_dim), fp32 and bf16: the package's
``kv_cache`` equals the bytes of the distinct storages of the cache one forward
returns.  StaticCache and QuantizedCache (quanto backend) likewise.
"""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import everybyte as eb  # noqa: E402
from everybyte import measure_serving as ms  # noqa: E402
from everybyte.knobs import Serving  # noqa: E402

LAYOUTS = ms.LAYOUTS


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_kv_cache_is_exact_against_the_real_cache(name, dtype):
    data = LAYOUTS[name]
    model = ms.serving_model(data, dtype)
    for batch, seq in ((2, 9), (1, 17)):
        measured = ms.kv_cache_bytes(model, batch, seq)
        est = eb.estimate(eb.from_hf_config(data), eb.Workload(batch, seq), eb.Setup(dtype))
        assert est["kv_cache"] == measured, (batch, seq)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_kv_cache_of_generate_is_exact(name):
    # generate() feeds back all but the last of its new tokens: the cache holds S + T - 1 of them.
    data = LAYOUTS[name]
    measured = ms.generate_cache_bytes(ms.serving_model(data, "bf16"), 2, 9, 4)
    est = eb.estimate(eb.from_hf_config(data), eb.Workload(2, 9 + 4 - 1), eb.Setup("bf16"))
    assert est["kv_cache"] == measured


def _window_cases():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from zoo_cases import ODD

    mistral = {**LAYOUTS["mistral (GQA, no window)"], "sliding_window": 8}
    # all layers sliding; sliding and full (Qwen3's window of 5, Gemma 3's pattern); chunked and full (Llama 4)
    return [mistral, {"model_type": "qwen3", **ODD["qwen3"][0]}, {"model_type": "gemma3_text", **ODD["gemma3_text"][0]},
            {"model_type": "llama4_text", **ODD["llama4_text"][0]}]


@pytest.mark.parametrize("data", _window_cases(), ids=lambda d: d["model_type"])
@pytest.mark.parametrize("seq", [3, 9, 20])
def test_window_layers_cache_after_one_forward(data, seq):
    # transformers 5.24 keeps a sliding-window or chunked layer in DynamicSlidingWindowLayer: after one
    # forward of S tokens it keeps a slice of the last W - 1, a view whose storage still holds all S, plus
    # a 0-d int64 window tensor per layer (8 bytes), whether or not S has reached the window.
    model = ms.serving_model(data, "fp32")
    cfg = eb.from_hf_config(data)
    est = eb.estimate(cfg, eb.Workload(2, seq), eb.Setup("fp32"))
    counts = cfg.layer_counts()
    assert counts["L_slide"] + counts["L_chunk"] > 0
    by_hand = 2 * cfg.n_layers * 2 * seq * cfg.kv_heads * cfg.head_width * 4 + 8 * (counts["L_slide"] + counts["L_chunk"])
    assert ms.kv_cache_bytes(model, 2, seq) == est["kv_cache"] == by_hand


def test_static_cache_of_a_sliding_window_holds_the_window():
    from transformers import StaticCache

    data = {**LAYOUTS["mistral (GQA, no window)"], "sliding_window": 8}
    model = ms.serving_model(data, "fp32")
    cfg = eb.from_hf_config(data)
    for seq, max_len in ((3, 50), (20, 50), (5, 6)):
        cache = StaticCache(config=model.config, max_cache_len=max_len)
        est = eb.estimate(cfg, eb.Workload(2, seq), eb.Setup("fp32", serving=Serving(cache="static",
                                                                                     max_cache_len=max_len)))
        tokens = min(max_len, 8)
        assert ms.kv_cache_bytes(model, 2, seq, cache=cache) == est["kv_cache"] == \
            2 * cfg.n_layers * 2 * tokens * cfg.kv_heads * cfg.head_width * 4 + 8 * cfg.n_layers


def test_a_quantized_cache_of_window_layers_is_refused_as_transformers_refuses_it():
    data = {**LAYOUTS["mistral (GQA, no window)"], "sliding_window": 8}
    with pytest.raises(ValueError, match="kv_dtype: transformers' QuantizedCache supports only full-attention"):
        eb.estimate(eb.from_hf_config(data), eb.Workload(2, 20), eb.Setup("fp32", serving=Serving(kv_dtype="int4")))


def test_static_cache_is_preallocated():
    from transformers import StaticCache

    data = LAYOUTS["llama (GQA, head_dim 20)"]
    model = ms.serving_model(data, "fp32")
    cache = StaticCache(config=model.config, max_cache_len=50)
    measured = ms.kv_cache_bytes(model, 2, 9, cache=cache)
    est = eb.estimate(eb.from_hf_config(data), eb.Workload(2, 9),
                      eb.Setup("fp32", serving=Serving(cache="static", max_cache_len=50)))
    assert est["kv_cache"] == measured == 2 * 3 * 2 * 50 * 2 * 20 * 4 + 3 * 8  # by hand: 2 L B S_max h_kv d b + 8 L


@pytest.mark.parametrize("bits, group, seq, dtype", [(4, 16, 20, "fp32"), (2, 16, 20, "fp32"), (4, 40, 7, "fp32"),
                                                     (4, 32, 24, "bf16")])
def test_quantized_cache_quanto(bits, group, seq, dtype):
    pytest.importorskip("optimum.quanto")
    from transformers import QuantizedCache

    data = LAYOUTS["llama (GQA, head_dim 20)"]
    model = ms.serving_model(data, dtype)
    cache = QuantizedCache(backend="quanto", config=model.config, nbits=bits, q_group_size=group, residual_length=8)
    measured = ms.kv_cache_bytes(model, 2, seq, cache=cache)
    serving = Serving(kv_dtype=f"int{bits}", kv_group_size=group, kv_residual=8)
    est = eb.estimate(eb.from_hf_config(data), eb.Workload(2, seq), eb.Setup(dtype, serving=serving))
    assert est["kv_cache"] == measured


def test_paged_cache_rounds_to_blocks_by_hand():
    cfg = eb.preset("llama-3-8b")
    est = eb.estimate(cfg, eb.Workload(3, 1000), eb.Setup("bf16", serving=Serving(cache="paged", block_size=16)))
    assert est["kv_cache/tokens"] == 1008  # 63 blocks of 16
    assert est["kv_cache"] == 2 * 32 * 3 * 1008 * 8 * 128 * 2
    assert est["kv_cache/per_token"] == 2 * 32 * 8 * 128 * 2  # 128 KiB: Llama-3-8B's published figure


@pytest.mark.parametrize("dtype, attention", [("bf16", "sdpa"), ("fp32", "eager")])
def test_generate_peak_is_within_1_percent_of_memtracker(dtype, attention):
    # A sample of the benchmark's rows (benchmarks/serving_and_finetuning.py prints them all): the
    # benchmark's llama of odd sizes, whose vocabulary and feed-forward width are real models' proportions.
    data = ms.PEAK_LLAMA
    model = ms.serving_model(data, dtype, attention)
    measured = ms.generate_peak_bytes(model, 1, 200)
    est = eb.estimate(eb.from_hf_config(data), eb.Workload(1, 200), eb.Setup(dtype, attention))
    assert est["serving/weights"] + est["kv_cache"] < measured
    assert abs(est["serving/peak"] - measured) / measured < 0.01
