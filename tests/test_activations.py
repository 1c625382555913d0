"""The activation accounting against PyTorch: bytes saved for backward to the byte, peak within 1 %.

Every expected value here is a measurement (everybyte.measure, which uses
torch.autograd.graph.saved_tensors_hooks and MemTracker), never the formula.
"""

import itertools
import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import everybyte as eb  # noqa: E402
from everybyte import measure  # noqa: E402
from everybyte.cli import main  # noqa: E402

_ZOO_SIZES = {"hidden_size": 48, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 10,
              "intermediate_size": 70, "num_hidden_layers": 2, "vocab_size": 77, "pad_token_id": 0}


def _zoo(model_type, **changes):
    """A small config of ``model_type``: the sizes above with ``changes`` (None drops a key)."""
    data = {"model_type": model_type, **_ZOO_SIZES, **changes}
    return {k: v for k, v in data.items() if v is not None}
CONFIGS = {
    # odd sizes: 5 heads of 12, vocabulary 101, two layers, all dropouts on (GPT-2 defaults)
    "gpt2": {"model_type": "gpt2", "n_embd": 60, "n_head": 5, "n_layer": 2, "vocab_size": 101, "n_positions": 64},
    "gpt2-nodropout-gelu": {"model_type": "gpt2", "n_embd": 36, "n_head": 3, "n_layer": 3, "vocab_size": 97,
                            "n_positions": 32, "activation_function": "gelu", "embd_pdrop": 0.0, "attn_pdrop": 0.0,
                            "resid_pdrop": 0.0, "n_inner": 50},
    # grouped-query attention (6 heads, 2 KV heads), head_dim not d_model/h, tied, biases
    "llama-gqa": {"model_type": "llama", "hidden_size": 60, "num_attention_heads": 6, "num_key_value_heads": 2,
                  "head_dim": 14, "intermediate_size": 100, "num_hidden_layers": 2, "vocab_size": 101,
                  "tie_word_embeddings": True, "attention_bias": True},
    "llama-dropout": {"model_type": "llama", "hidden_size": 48, "num_attention_heads": 4, "num_key_value_heads": 4,
                      "intermediate_size": 70, "num_hidden_layers": 2, "vocab_size": 77, "attention_dropout": 0.1},
    "qwen2": {"model_type": "qwen2", "hidden_size": 48, "num_attention_heads": 6, "num_key_value_heads": 3,
              "intermediate_size": 70, "num_hidden_layers": 2, "vocab_size": 77},
    "mistral": {"model_type": "mistral", "hidden_size": 48, "num_attention_heads": 4, "num_key_value_heads": 1,
                "intermediate_size": 70, "num_hidden_layers": 3, "vocab_size": 77},
    # parallel residual, a quarter of each head rotary, exact GELU
    "gpt_neox": {"model_type": "gpt_neox", "hidden_size": 48, "num_attention_heads": 3, "intermediate_size": 70,
                 "num_hidden_layers": 2, "vocab_size": 97},
    # serial residual, dropout everywhere, half the head rotary, tied, no attention biases
    "gpt_neox-serial-dropout": {"model_type": "gpt_neox", "hidden_size": 48, "num_attention_heads": 3,
                                "intermediate_size": 70, "num_hidden_layers": 2, "vocab_size": 97,
                                "use_parallel_residual": False, "attention_dropout": 0.1, "hidden_dropout": 0.1,
                                "rotary_pct": 0.5, "attention_bias": False, "tie_word_embeddings": True},
    # chapter 14: the dense families of the zoo (odd sizes: head_dim 10 with 4 heads of width 48,
    # grouped-query attention, one KV head, attention dropout on)
    "qwen3": _zoo("qwen3", attention_bias=True),
    "qwen3-one-kv-dropout": _zoo("qwen3", num_key_value_heads=1, head_dim=None, attention_dropout=0.1),
    "gemma2": _zoo("gemma2", num_hidden_layers=3),
    "gemma2-one-kv-nocap": _zoo("gemma2", num_key_value_heads=1, attn_logit_softcapping=None, attention_dropout=0.1),
    "gemma3_text": _zoo("gemma3_text", num_hidden_layers=3, sliding_window=4, final_logit_softcapping=20.0),
    "gemma3_text-one-kv-dropout": _zoo("gemma3_text", num_key_value_heads=1, attention_dropout=0.1),
    # sequences beyond the sliding window: an explicit mask and repeated key/value heads under sdpa
    "gemma3_text-one-kv-window": _zoo("gemma3_text", num_key_value_heads=1, sliding_window=5, num_hidden_layers=3),
    "mistral-window": _zoo("mistral", sliding_window=6),
    "qwen3-window": _zoo("qwen3", use_sliding_window=True, sliding_window=5, max_window_layers=1),
    "phi3": _zoo("phi3"),
    "phi3-one-kv-dropout": _zoo("phi3", num_key_value_heads=1, head_dim=None, attention_dropout=0.1),
    "olmo2": _zoo("olmo2", tie_word_embeddings=True),
    "olmo2-one-kv-dropout": _zoo("olmo2", num_key_value_heads=1, attention_dropout=0.1),
    "granite": _zoo("granite", embedding_multiplier=3.0, residual_multiplier=0.5, attention_multiplier=0.3, logits_scaling=2.0),
    "granite-one-kv-dropout": _zoo("granite", num_key_value_heads=1, head_dim=None, attention_dropout=0.1),
    "starcoder2": _zoo("starcoder2", use_bias=False),
    "starcoder2-one-kv-dropout": _zoo("starcoder2", num_key_value_heads=1, attention_dropout=0.1),
}
#: Eager only: transformers' Gemma 2 has no sdpa attention.
EAGER_ONLY = {"gemma2", "gemma2-one-kv-nocap"}


@pytest.mark.parametrize("name, attention, dtype", [
    (n, a, d) for n, a, d in itertools.product(CONFIGS, ("eager", "sdpa"), ("fp32", "bf16"))
    if not (a == "sdpa" and n in EAGER_ONLY)
] + [("gpt2", "eager", "fp16"), ("llama-gqa", "sdpa", "fp16"), ("qwen3", "sdpa", "fp16")])
def test_saved_bytes_equal_the_measurement(name, attention, dtype):
    data = CONFIGS[name]
    model = measure.build_model(data, attention=attention)
    cfg = eb.from_hf_config(data)
    for batch, seq in ((3, 7), (2, 13), (1, 9)):
        measured = measure.saved_tensor_bytes(model, batch, seq, dtype=dtype)
        assert eb.estimate(cfg, eb.Workload(batch, seq), eb.Setup(dtype, attention))["activations"] == measured


@pytest.mark.parametrize("name", CONFIGS)
def test_parameter_tensors_and_buffers_match_the_real_model(name):
    if CONFIGS[name].get("head_dim", 0) is None:
        pytest.skip("head_dim None: the tensor test of test_real_models covers the default head width")
    model = measure.build_model(CONFIGS[name], meta=True)
    cfg = eb.from_hf_config(CONFIGS[name])
    ours = sorted(n for _, _, n in eb.parameters.tensors(cfg))
    assert ours == sorted(p.numel() for p in model.parameters())
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    assert eb.estimate(cfg, eb.Workload(1, 1))["training/buffers"] == buffers


# The peak model takes the loss head's transient (8 B S V) to outweigh a layer's
# backward transient, as in real models (vocabulary >= 2.9 d_ff for every preset):
# these configs keep that ratio (vocabulary about 4 d_ff) at toy sizes.
PEAK_CONFIGS = {
    "gpt2": {**CONFIGS["gpt2"], "vocab_size": 1001},
    "llama-gqa": {**CONFIGS["llama-gqa"], "vocab_size": 503},
    "mistral": {**CONFIGS["mistral"], "vocab_size": 307},
    "gpt_neox": {**CONFIGS["gpt_neox"], "vocab_size": 401},
}


@pytest.mark.parametrize("name, dtype, optimizer, batch, seq", [
    ("gpt2", "fp32", "adamw", 8, 32), ("gpt2", "bf16", "sgd_momentum", 8, 32), ("gpt2", "fp32", "sgd", 3, 7),
    ("llama-gqa", "fp32", "adamw", 8, 32), ("llama-gqa", "bf16", "adamw", 4, 16), ("mistral", "fp32", "sgd", 3, 7),
    ("gpt_neox", "fp32", "adamw", 8, 32), ("gpt_neox", "bf16", "sgd_momentum", 4, 16),
])
def test_peak_of_a_training_step_within_one_percent(name, dtype, optimizer, batch, seq):
    model = measure.build_model(PEAK_CONFIGS[name])
    measured = measure.training_step_peak_bytes(model, batch, seq, dtype=dtype, optimizer=optimizer)
    est = eb.estimate(eb.from_hf_config(PEAK_CONFIGS[name]), eb.Workload(batch, seq),
                      eb.Setup(dtype, optimizer=optimizer))
    assert abs(est["training_peak"] - measured) <= 0.01 * measured


def test_terms_sum_to_the_total_and_cli_json_total(capsys, tmp_path):
    cfg = eb.from_hf_config(CONFIGS["gpt2"])
    est = eb.estimate(cfg, eb.Workload(3, 7), eb.Setup("bf16", "sdpa"))
    assert sum(est.under("activations").values()) == est["activations"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIGS["gpt2"]))
    assert main(["activations", str(path), "--batch", "3", "--seq", "7", "--dtype", "bf16",
                 "--attention", "sdpa", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    model = measure.build_model(CONFIGS["gpt2"], attention="sdpa")
    assert data["total"] == measure.saved_tensor_bytes(model, 3, 7, dtype="bf16")


@pytest.mark.parametrize("argv, message", [
    (["activations", "gpt2", "--batch", "2", "--seq", "8", "--dtype", "int8"], "dtype must be one of fp32, bf16, fp16"),
    (["activations", "gpt2", "--batch", "2", "--seq", "8", "--attention", "flash"], "attention must be one of eager, sdpa"),
    (["activations", "gpt2", "--batch", "2", "--seq", "8", "--device", "tpu"], "device must be one of cpu, cuda"),
    (["activations", "gpt2", "--batch", "0", "--seq", "8"], "batch must be a positive integer"),
    (["activations", "mixtral-8x7b", "--batch", "1", "--seq", "8"], "no activation accounting for mixtral"),

    (["activations", "article-example", "--batch", "1", "--seq", "8"], "no real code saves the activations"),
])
def test_activations_cli_refusals(capsys, argv, message):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and message in err


def test_gemma2_has_no_sdpa_accounting():
    cfg = eb.from_hf_config(CONFIGS["gemma2"])
    est = eb.estimate(cfg, eb.Workload(2, 5), eb.Setup("fp32", "sdpa"))
    assert "activations" not in est and "transformers' gemma2 has no sdpa attention" in est.activations_note
