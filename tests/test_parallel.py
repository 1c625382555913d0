"""Per-device memory (everybyte.parallel): against torch.distributed runs, hand arithmetic and the real models.

The distributed sample is small on purpose (one spawned job of two gloo ranks
running two FSDP2 steps of a tiny Llama); benchmarks/training_across_devices.py
runs the whole table.
"""

import json
from collections import Counter

import pytest

import everybyte as eb
from everybyte import measure, parallel
from everybyte.cli import main
from everybyte.options import Parallelism, Setup
from everybyte.ranks import device_estimates, largest_batch

# Odd sizes: a vocabulary of 1009 rows does not split evenly over 2 or 3 ranks, k and v
# have 40 rows (uneven over 3), grouped-query attention, head_dim != d_model / h.
TINY_LLAMA = {"model_type": "llama", "hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2,
              "head_dim": 20, "intermediate_size": 200, "num_hidden_layers": 3, "vocab_size": 1009}
SHAPE_CASES = [
    TINY_LLAMA,
    {"model_type": "gpt2", "n_embd": 64, "n_head": 4, "n_layer": 2, "vocab_size": 101},
    {"model_type": "gpt_neox", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1,
     "vocab_size": 101, "intermediate_size": 48},
    {"model_type": "mixtral", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
     "intermediate_size": 48, "num_hidden_layers": 2, "vocab_size": 101, "num_local_experts": 3},
]


@pytest.mark.parametrize("data", SHAPE_CASES, ids=lambda d: d["model_type"])
def test_first_dimensions_of_the_tensor_table_equal_the_real_model(data):
    # FSDP pads the first dimension of each tensor: the table must know it, tensor by tensor.
    model = measure.build_model(data, meta=True)
    real = Counter((p.numel(), p.shape[0]) for p in model.parameters())
    ours = Counter((n, rows) for _, n, rows in eb.parameters.tensor_shapes(eb.from_hf_config(data)))
    assert ours == real


def _zoo_cases():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from zoo_cases import ODD

    return [{"model_type": t, **c} for t, cases in ODD.items() for c in cases]


@pytest.mark.parametrize("data", _zoo_cases(), ids=lambda d: d["model_type"])
def test_first_dimensions_of_every_model_type_equal_the_real_model(data):
    # Every counted model type, in the odd configurations chapter 14 checks its counts with.
    model = measure.build_model(data, meta=True)
    real = Counter((p.numel(), p.shape[0] if p.dim() else 1) for p in model.parameters())
    ours = Counter((n, rows) for _, n, rows in eb.parameters.tensor_shapes(eb.from_hf_config(data)))
    assert ours == real


@pytest.mark.parametrize("data", [TINY_LLAMA, {**TINY_LLAMA, "model_type": "mistral", "sliding_window": 16},
                                  {"model_type": "qwen3", **{k: v for k, v in TINY_LLAMA.items() if k != "model_type"}},
                                  {"model_type": "olmo2", **{k: v for k, v in TINY_LLAMA.items() if k != "model_type"}}],
                         ids=["llama", "mistral-window", "qwen3", "olmo2"])
def test_one_device_is_the_training_step_of_chapter_13(data):
    cfg = eb.from_hf_config(data)
    for setup in (Setup(), Setup("bf16", "sdpa"), Setup(optimizer="sgd_momentum")):
        est = eb.estimate(cfg, eb.Workload(2, 64), setup)
        assert est["parallel/parameters"] == est["training/weights"]
        assert est["parallel/optimizer_states"] == est["training/optimizer_states"]
        assert est["parallel/activations"] == est["activations"]
        assert est["parallel/peak"] == est["training_peak"]


def test_fsdp2_shards_by_hand():
    # FSDP2 cuts each tensor's first dimension in ceil(rows / N) rows: 1009 vocabulary rows on 2 ranks are
    # 505 + 504, stored padded to 505 on both; AdamW's states follow the unpadded shard.
    cfg = eb.from_hf_config(TINY_LLAMA)
    layer = 120 * 96 + 2 * 40 * 96 + 96 * 120 + 3 * 200 * 96 + 2 * 96
    padded = 2 * 505 * 96 + 96 // 2 + 3 * layer // 2
    for rank, vocabulary_rows in ((0, 505), (1, 504)):
        est = eb.estimate(cfg, eb.Workload(2, 64), Setup(parallel=Parallelism(dp=2, zero=3, rank=rank)))
        assert est["parallel/parameters"] == 4 * padded
        owned = 2 * vocabulary_rows * 96 + 96 // 2 + 3 * layer // 2
        assert est["parallel/optimizer_states"] == 8 * owned + 4 * 30  # exp_avg, exp_avg_sq; a step per tensor
        assert est["parallel/gathered/root"] == 4 * (2 * 1010 * 96 + 96)


def test_tensor_parallel_parameters_of_llama_2_7b_by_hand():
    cfg = eb.preset("llama-2-7b")
    d, f, v, layers, t = 4096, 11008, 32000, 32, 8
    est = eb.estimate(cfg, eb.Workload(1, 4096), Setup(parallel=Parallelism(dp=1, tp=t)))
    per_layer = (4 * d * d + 3 * d * f) // t + 2 * d  # projections split, the two RMSNorm scales replicated
    assert est["parallel/parameters"] == 4 * (2 * v * d // t + layers * per_layer + d)


def test_pipeline_stages_and_micro_batches_in_flight():
    cfg = eb.preset("llama-2-7b")
    # 1F1B on 4 stages with 8 micro-batches: stage i holds 4 - i micro-batches of its 8 layers;
    # GPipe holds all 8; the interleaved schedule with 2 chunks: 2 (4 - i - 1) + 4 + 1 chunks of 4 layers.
    for schedule, virtual, expected in (("1f1b", 1, [32, 24, 16, 8]), ("gpipe", 1, [64] * 4),
                                        ("interleaved", 2, [44, 36, 28, 20])):
        setup = Setup(parallel=Parallelism(pp=4, microbatches=8, schedule=schedule, virtual=virtual))
        devices = device_estimates(cfg, eb.Workload(1, 256), setup)
        assert [d.estimate["parallel/activations/layer_micro_batches"] for d in devices] == expected
    one = device_estimates(cfg, eb.Workload(1, 256), Setup(parallel=Parallelism(pp=4)))
    # the embedding on the first stage, the final norm and the output layer on the last
    layer = 4 * (4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096)
    assert [d.estimate["parallel/parameters"] for d in one] == [
        8 * layer + 4 * 32000 * 4096, 8 * layer, 8 * layer, 8 * layer + 4 * (4096 + 32000 * 4096)]


def test_blockwise_8bit_states_follow_bitsandbytes_rules():
    # bitsandbytes: fp32 states below 4096 elements; else two uint8 states and an fp32 maximum per
    # block of 256 for each; two 256-entry fp32 maps shared by all tensors.
    cfg = eb.from_hf_config(TINY_LLAMA)
    model = measure.build_model(TINY_LLAMA, meta=True)
    by_hand = sum(8 * p.numel() if p.numel() < 4096 else 2 * p.numel() + 8 * (-(-p.numel() // 256))
                  for p in model.parameters()) + 2 * 256 * 4
    est = eb.estimate(cfg, eb.Workload(1, 8), Setup(optimizer="adamw8bit"))
    assert est["training/optimizer_states"] == est["parallel/optimizer_states"] == by_hand


def test_layouts_that_do_not_split_are_refused():
    cfg = eb.preset("llama-2-7b")
    for parallel, message in ((Parallelism(tp=3), "tp must divide n_heads"), (Parallelism(pp=5), "must divide n_layers"),
                              (Parallelism(pp=2, schedule="interleaved", virtual=2, microbatches=3), "interleaved")):
        with pytest.raises(ValueError, match=message):
            device_estimates(cfg, eb.Workload(1, 64), Setup(parallel=parallel))
    for kwargs, message in (({"zero": 4}, "zero must be one of"), ({"dp": 2, "ep": 4}, "ep must divide dp"),
                            ({"rank": 2}, "rank must be below"), ({"recompute": "some"}, "recompute must be one of"),
                            ({"virtual": 2}, "virtual must be 1")):
        with pytest.raises(ValueError, match=message):
            Parallelism(**kwargs)


def test_largest_batch_is_the_last_that_fits():
    cfg = eb.preset("llama-2-7b")
    setup = Setup("bf16", "sdpa", "cuda", parallel=Parallelism(dp=8, zero=3, recompute="full"))
    batch = largest_batch(cfg, eb.Workload(1, 4096), setup, 80 * 2**30)
    peak = lambda b: max(d.estimate["parallel/peak"] for d in device_estimates(cfg, eb.Workload(b, 4096), setup))  # noqa: E731
    assert batch >= 1 and peak(batch) <= 80 * 2**30 < peak(batch + 1)


def test_train_json_has_integer_bytes_for_every_rank(capsys):
    code = main(["train", "llama-2-7b", "--batch", "1", "--seq", "2048", "--dtype", "bf16", "--attention", "sdpa",
                 "--dp", "4", "--zero", "3", "--tp", "2", "--pp", "2", "--microbatches", "4", "--recompute", "full",
                 "--gpu-memory", "80GiB", "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["devices"] == len(data["ranks"]) == 16
    for rank in data["ranks"]:
        for key in ("parameters", "gradients", "optimizer_states", "activations", "peak"):
            assert type(rank[key]) is int and rank[key] > 0, key
    assert data["peak"] == max(r["peak"] for r in data["ranks"])
    assert data["fits"] == (data["peak"] <= 80 * 2**30) and isinstance(data["largest_microbatch"], int)


@pytest.mark.parametrize("argv, message", [
    (["--zero", "4"], "--zero"), (["--tp", "0"], "tp must be a positive integer"), (["--tp", "3"], "tp must divide"),
    (["--gpu-memory", "lots"], "gpu-memory must be"), (["--recompute", "half"], "recompute must be one of"),
    (["--schedule", "zigzag"], "schedule must be one of"), (["--ep", "2"], "ep must divide dp"),
])
def test_train_refuses_bad_input_in_one_line(capsys, argv, message):
    code = main(["train", "llama-2-7b", "--batch", "1", "--seq", "64", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


def test_train_refuses_a_mixture_of_experts_without_an_activation_accounting(capsys):
    code = main(["train", "mixtral-8x7b", "--batch", "1", "--seq", "64"])
    _, err = capsys.readouterr()
    assert code == 2 and "mixture of experts" in err


def test_full_recomputation_against_memtracker():
    # transformers' gradient_checkpointing_enable: each layer keeps its input only (rotary rebuilt)
    cfg = eb.from_hf_config(TINY_LLAMA)
    model = measure.build_model(TINY_LLAMA)
    model.gradient_checkpointing_enable()
    for dtype, attention in (("fp32", "eager"), ("bf16", "sdpa")):
        model.config._attn_implementation = attention
        est = eb.estimate(cfg, eb.Workload(2, 64), Setup(dtype, attention, parallel=Parallelism(recompute="full")))
        assert measure.saved_tensor_bytes(model, 2, 64, dtype=dtype) == est["parallel/activations"]
        peak = measure.training_step_peak_bytes(model, 2, 64, dtype=dtype)
        assert abs(est["parallel/peak"] - peak) <= 0.01 * peak


def test_fsdp2_ddp_and_zero1_on_two_gloo_ranks():
    from everybyte.distributed import measure_ranks, run_setup

    runs = [{"strategy": "fsdp2", "batch": 2, "seq": 64},
            {"strategy": "fsdp2", "batch": 2, "seq": 64, "dtype": "bf16", "attention": "sdpa"},
            {"strategy": "ddp", "batch": 2, "seq": 64}, {"strategy": "zero1", "batch": 2, "seq": 64}]
    cfg = eb.from_hf_config(TINY_LLAMA)
    for run, ranks in zip(runs, measure_ranks(TINY_LLAMA, 2, runs)):
        if run["strategy"] == "fsdp2":
            assert ranks[0]["optimizer_states"] != ranks[1]["optimizer_states"]  # uneven shards
        for measured in ranks:
            est = eb.estimate(cfg, eb.Workload(run["batch"], run["seq"]), run_setup(run, 2, measured["rank"]))
            # ZeroRedundancyOptimizer gives each rank whole tensors (greedily): not the even split counted
            keys = ("parameters", "gradients") if run["strategy"] == "zero1" else \
                ("parameters", "gradients", "optimizer_states")
            for key in keys:
                assert est[f"parallel/{key}"] == measured[key], (run, key)
            assert abs(est["parallel/peak"] - measured["peak"]) <= 0.01 * measured["peak"], run


EVEN_LLAMA = {**TINY_LLAMA, "head_dim": 16, "num_hidden_layers": 4, "vocab_size": 1024}


def test_tensor_and_pipeline_parallel_on_two_gloo_ranks():
    """DTensor tensor parallelism and a torch.distributed.pipelining 1F1B schedule, 2 ranks each.

    A pipeline stage's parameters, gradients and optimizer states are exact and its saved activations
    (the micro-batches in flight) within 1 %.  Under tensor parallelism the parameters and optimizer
    states are exact; DTensor gives the vocabulary-parallel embedding a replicated gradient (V d more
    than Megatron-LM's split) and the plan gathers the logits for the loss (B S V saved where a
    vocabulary-parallel loss saves B S V / t): the measurement differs from the package by exactly those.
    """
    from everybyte.distributed import measure_ranks, run_setup

    runs = [{"strategy": "tp", "batch": 2, "seq": 32},
            {"strategy": "pp", "batch": 2, "seq": 32, "microbatches": 4, "schedule": "1f1b"}]
    cfg = eb.from_hf_config(EVEN_LLAMA)
    V, d, t = cfg.vocab_size, cfg.d_model, 2
    for run, ranks in zip(runs, measure_ranks(EVEN_LLAMA, 2, runs)):
        for measured in ranks:
            est = eb.estimate(cfg, eb.Workload(run["batch"], run["seq"]), run_setup(run, 2, measured["rank"]))
            assert est["parallel/parameters"] == measured["parameters"], run
            assert est["parallel/optimizer_states"] == measured["optimizer_states"], run
            if run["strategy"] == "pp":
                assert est["parallel/gradients"] == measured["gradients"]
                saved = measured["saved_activations"]
                assert abs(est["parallel/activations"] - saved) <= 0.01 * saved, (measured["rank"], saved)
            else:
                assert measured["gradients"] == est["parallel/gradients"] + 4 * (V - V // t) * d
                replicated_logits = 4 * run["batch"] * run["seq"] * (V - V // t)
                assert measured["saved_activations"] == est["parallel/activations"] + replicated_logits
                # whole logits, log-probabilities and their gradient at the peak
                assert measured["peak"] == est["parallel/peak"] + 3 * replicated_logits


def test_distributed_runs_are_checked():
    from everybyte.distributed import measure_ranks

    for run, message in (({"strategy": "tp", "batch": 1, "seq": 4, "microbatches": 2}, "microbatches must be 1"),
                         ({"strategy": "pp", "batch": 1, "seq": 4, "schedule": "zb"}, "schedule"),
                         ({"strategy": "sp", "batch": 1, "seq": 4}, "strategy")):
        with pytest.raises(ValueError, match=message):
            measure_ranks(EVEN_LLAMA, 2, [run])


def test_shards_cover_every_tensor_once():
    # with one device every tensor of the table is a shard of itself
    names = [s.name for s in parallel.shards("llama")]
    assert len(names) == len(eb.parameters.TABLES["llama"]) + 1  # and the tied output copy
