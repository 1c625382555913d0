"""Every bad input gets a ValueError naming the argument and what is allowed."""

import pytest

import llm_memory as lm
from llm_memory import memory, scaling

GOOD = dict(vocab_size=100, d_model=64, n_layers=2, n_heads=4, d_ff=256)


@pytest.mark.parametrize("field", ["vocab_size", "d_model", "n_layers", "n_heads", "d_ff"])
@pytest.mark.parametrize("bad", [0, -3, 2.5, 4.0, True, False, "64", None])
def test_config_sizes_must_be_positive_integers(field, bad):
    with pytest.raises(ValueError, match=rf"{field} must be a positive integer"):
        lm.ModelConfig(**{**GOOD, field: bad})


@pytest.mark.parametrize("bad", [-1, 1.5, True, "0"])
def test_n_positions_must_be_non_negative_integer(bad):
    with pytest.raises(ValueError, match="n_positions must be a non-negative integer"):
        lm.ModelConfig(**GOOD, n_positions=bad)


def test_heads_must_divide_d_model():
    with pytest.raises(ValueError, match="n_heads must divide d_model"):
        lm.ModelConfig(**{**GOOD, "n_heads": 5})


@pytest.mark.parametrize("flag", ["attention_bias", "mlp_bias", "tied_embeddings", "final_norm"])
def test_flags_must_be_booleans(flag):
    with pytest.raises(ValueError, match=f"{flag} must be True or False"):
        lm.ModelConfig(**GOOD, **{flag: 1})


@pytest.mark.parametrize("bad", ["fp8", "FP32", "", None, 4])
def test_unknown_dtype(bad):
    with pytest.raises(ValueError, match="dtype must be one of fp32, fp16, bf16, int8, int4"):
        lm.model_memory_bytes(10, bad)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_model_memory_needs_positive_count(bad):
    with pytest.raises(ValueError, match="n_params must be a positive integer"):
        lm.model_memory_bytes(bad, "fp32")


@pytest.mark.parametrize("bad", ["gpt5", "", None, "GPT2"])
def test_unknown_preset(bad):
    with pytest.raises(ValueError, match="preset must be one of article-example, gpt2, gpt2-medium, gpt2-large, gpt2-xl, gpt3-175b, llama-2-7b"):
        lm.preset(bad)


@pytest.mark.parametrize("arg", ["batch", "seq"])
@pytest.mark.parametrize("bad", [0, -8, 8.0, True])
def test_workload_sizes(arg, bad):
    kwargs = {"batch": 8, "seq": 16, arg: bad}
    with pytest.raises(ValueError, match=f"{arg} must be a positive integer"):
        memory.workload_values(lm.GPT2_SMALL, **kwargs)


def test_unknown_precision_and_optimizer():
    with pytest.raises(ValueError, match="precision must be one of gpu-mixed, korthikanti, gpu-fp32"):
        memory.activation_memory("tpu")
    with pytest.raises(ValueError, match="optimizer must be one of adamw, sgd_momentum, sgd"):
        memory.steady_state_terms("adam8bit")


@pytest.mark.parametrize("bad", [0, -1, 1.0, True, float("nan")])
def test_scaling_gain_must_exceed_one(bad):
    with pytest.raises(ValueError, match="gain_factor must be"):
        scaling.multiplier_for_gain(bad)


def test_count_params_refuses_non_config():
    with pytest.raises(ValueError, match="config must be a ModelConfig"):
        lm.count_params({"d_model": 768})


def test_exact_needs_all_symbols_and_exact_values():
    from llm_memory.symbols import B, S

    with pytest.raises(ValueError, match="values are missing for the symbols S"):
        lm.exact(B * S, {B: 2})
    with pytest.raises(ValueError, match="exact evaluation needs integer or rational values"):
        lm.exact(B * S, {B: 2, S: 1.5})
