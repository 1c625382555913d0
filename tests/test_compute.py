"""FLOPs and time against hand arithmetic and the figures GPT-3's, Chinchilla's and PaLM's papers report."""

import json

import pytest

import everybyte as eb
from everybyte import compute
from everybyte.cli import main
from everybyte.symbols import D_train, F_peak, L, S, d_head, h, n_devices


def test_gpt2_small_flops_per_token_by_hand():
    est = eb.estimate(eb.GPT2_SMALL, eb.Workload(1, 1024), eb.Setup("bf16"))
    # tied output layer multiplies, the position table does not: 2 (N - P d_model)
    assert est["compute/forward_weight_flops_per_token"] == 2 * (124_439_808 - 1024 * 768)
    # q k^T and P v: 2 * 2 S d_head per head and layer
    assert est["compute/forward_attention_flops_per_token"] == 4 * 12 * 1024 * 12 * 64
    assert est["compute/training_flops_per_token"] == 3 * (2 * (124_439_808 - 1024 * 768) + 4 * 12 * 1024 * 12 * 64)


def test_untied_models_do_not_multiply_their_input_table():
    est = eb.estimate(eb.preset("llama-2-7b"), eb.Workload(1, 1))
    assert est["compute/forward_weight_flops_per_token"] == 2 * (6_738_415_616 - 32_000 * 4096)


def test_gpt3_training_compute_is_the_reported_3_14e23():
    # Brown et al. 2020, Table D.1: 3.14E+23 FLOPs for GPT-3 175B on 300B tokens (their count is 6 N D).
    n = eb.count_params(eb.GPT3_175B).total
    six_nd = eb.exact(compute.KAPLAN_TRAINING_FLOPS, {compute.N_active: n, D_train: 300 * 10**9})
    assert abs(six_nd - 3.14e23) / 3.14e23 < 0.002


def test_palm_mfu_is_the_reported_46_2_percent():
    # Chowdhery et al. 2022: 238.3K tokens/s on 6144 TPU v4 chips (275 TFLOP/s bf16), MFU 46.2 %;
    # 540.35B parameters, 118 layers, 48 heads of 256, context 2048.
    per_token = eb.exact(compute.PALM_FLOPS_PER_TOKEN, {compute.N_active: 540_350_000_000, L: 118, h: 48,
                                                          d_head: 256, S: 2048})
    mfu = compute.model_flops_utilisation.subs({compute.training_flops_per_token: per_token,
                                                 compute.tokens_per_second: 238_300, n_devices: 6144,
                                                 F_peak: eb.hardware.accelerator("tpu-v4").peak_flops["bf16"]})
    assert float(mfu) == pytest.approx(0.462, abs=0.0005)


def test_training_time_is_flops_over_devices_peak_and_mfu_rounded_up():
    run = eb.options.Compute(gpu="a100-80gb", devices=1024, mfu=0.4, tokens=300 * 10**9)
    est = eb.estimate(eb.GPT3_175B, eb.Workload(1, 2048), eb.Setup("bf16", compute=run))
    flops = est["compute/training_flops"]
    ns = est["compute/training_time_ns"]
    peak = 312 * 10**12  # NVIDIA A100 datasheet, dense BF16
    assert ns == -(-flops * 10**9 * 10**4 // (1024 * peak * 4000))
    assert 28 < ns / 1e9 / 86_400 < 31


def test_decode_rate_is_bandwidth_over_bytes_read():
    est = eb.estimate(eb.preset("llama-3-8b"), eb.Workload(4, 100), eb.Setup("bf16", compute=eb.options.Compute()))
    read = est["weights"] + est["kv_cache"]
    assert est["compute/decode_bytes_per_step"] == read
    assert est["compute/decode_tokens_per_second"] == 4 * 3_350 * 10**9 // read


def test_time_cli_json(capsys):
    assert main(["time", "gpt2", "--seq", "1024", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["forward_weight_flops_per_token"] == 2 * (124_439_808 - 1024 * 768)
    assert data["gpu"] == "h100-sxm" and data["tokens"] == 1024


@pytest.mark.parametrize("argv, message", [
    (["time", "gpt2", "--seq", "8", "--mfu", "0"], "mfu must be a fraction"),
    (["time", "gpt2", "--seq", "8", "--mfu", "abc"], "mfu must be a number"),
    (["time", "gpt2", "--seq", "8", "--gpu", "v100"], "gpu must be one of"),
    (["time", "gpt2", "--seq", "8", "--gpu", "tpu-v4", "--dtype", "fp32"], "has no fp32 peak"),
    (["time", "gpt2", "--seq", "8", "--mfu", "0.12345"], "at most four decimals"),
    (["time", "gpt2", "--seq", "8", "--devices", "0"], "devices must be a positive integer"),
])
def test_time_cli_refusals(capsys, argv, message):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and message in err
