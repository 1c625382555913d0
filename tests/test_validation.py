"""Every bad input gets a ValueError naming the argument and what is allowed."""

import pytest

import everybyte as eb
from everybyte import memory, scaling

GOOD = dict(vocab_size=100, d_model=64, n_layers=2, n_heads=4, d_ff=256)


@pytest.mark.parametrize("field", ["vocab_size", "d_model", "n_layers", "n_heads", "d_ff"])
@pytest.mark.parametrize("bad", [0, -3, 2.5, 4.0, True, False, "64", None])
def test_config_sizes_must_be_positive_integers(field, bad):
    if field == "d_ff" and bad is None:
        assert eb.ModelConfig(**{**GOOD, field: bad}).d_ff == 4 * GOOD["d_model"]  # None: GPT-2's n_inner
        return
    with pytest.raises(ValueError, match=rf"{field} must be a positive integer"):
        eb.ModelConfig(**{**GOOD, field: bad})


@pytest.mark.parametrize("bad", [-1, 1.5, True, "0"])
def test_n_positions_must_be_non_negative_integer(bad):
    with pytest.raises(ValueError, match="n_positions must be a non-negative integer"):
        eb.ModelConfig(**GOOD, n_positions=bad)


def test_heads_must_divide_d_model():
    with pytest.raises(ValueError, match="n_heads must divide d_model"):
        eb.ModelConfig(**{**GOOD, "n_heads": 5})


@pytest.mark.parametrize("flag", ["attention_bias", "mlp_bias", "tied_embeddings", "final_norm"])
def test_flags_must_be_booleans(flag):
    with pytest.raises(ValueError, match=f"{flag} must be True or False"):
        eb.ModelConfig(**GOOD, **{flag: 1})


@pytest.mark.parametrize("bad", ["fp8", "FP32", "", None, 4])
def test_unknown_dtype(bad):
    with pytest.raises(ValueError, match="dtype must be one of fp32, fp16, bf16, int8, int4"):
        eb.model_memory_bytes(10, bad)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_model_memory_needs_positive_count(bad):
    with pytest.raises(ValueError, match="n_params must be a positive integer"):
        eb.model_memory_bytes(bad, "fp32")


@pytest.mark.parametrize("bad", ["gpt5", "", None, "GPT2"])
def test_unknown_preset(bad):
    with pytest.raises(ValueError, match="preset must be one of article-example, gpt2, gpt2-medium, gpt2-large, gpt2-xl, gpt3-175b, llama-2-7b"):
        eb.preset(bad)


@pytest.mark.parametrize("arg", ["batch", "seq"])
@pytest.mark.parametrize("bad", [0, -8, 8.0, True])
def test_workload_sizes(arg, bad):
    kwargs = {"batch": 8, "seq": 16, arg: bad}
    with pytest.raises(ValueError, match=f"{arg} must be a positive integer"):
        memory.workload_values(eb.GPT2_SMALL, **kwargs)


def test_unknown_precision_and_optimizer():
    with pytest.raises(ValueError, match="setting must be one of gpu-mixed, korthikanti, gpu-fp32"):
        memory.activation_memory("tpu")
    with pytest.raises(ValueError, match="optimizer must be one of adamw, sgd_momentum, sgd"):
        memory.steady_state_terms("adam8bit")


@pytest.mark.parametrize("bad", [0, -1, 1.0, True, float("nan")])
def test_scaling_gain_must_exceed_one(bad):
    with pytest.raises(ValueError, match="gain_factor must be"):
        scaling.multiplier_for_gain(bad)


def test_count_params_refuses_non_config():
    with pytest.raises(ValueError, match="config must be an everybyte.ModelConfig"):
        eb.count_params({"d_model": 768})


def test_exact_needs_all_symbols_and_exact_values():
    from everybyte.symbols import B, S

    with pytest.raises(ValueError, match="values are missing for the symbols S"):
        eb.exact(B * S, {B: 2})
    with pytest.raises(ValueError, match="exact evaluation needs integer or rational values"):
        eb.exact(B * S, {B: 2, S: 1.5})


def test_config_stores_python_ints_and_refuses_numpy_floats():
    np = pytest.importorskip("numpy")
    cfg = eb.ModelConfig(**{k: np.int64(v) for k, v in GOOD.items()})
    assert all(type(getattr(cfg, k)) is int for k in GOOD)
    with pytest.raises(ValueError, match="d_model must be a positive integer"):
        eb.ModelConfig(**{**GOOD, "d_model": np.float64(64)})


def test_unknown_model_type_of_a_hand_made_config():
    with pytest.raises(ValueError, match="model_type must be one of gpt2, llama"):
        eb.ModelConfig(**GOOD, model_type="bert")


@pytest.mark.parametrize("call", [
    lambda bad: eb.count_params(bad),
    lambda bad: eb.estimate(bad),
    lambda bad: eb.estimate(bad, eb.Workload(1, 2)),
    lambda bad: eb.parameters.parameter_terms(bad),
    lambda bad: eb.parameters.layer_parameter_terms(bad),
    lambda bad: eb.parameters.total_parameters_expr(bad),
    lambda bad: eb.memory.kv_cache_expr(bad),
    lambda bad: eb.memory.workload_values(bad, 1, 2),
    lambda bad: eb.pipeline.activations_unavailable(bad),
    lambda bad: eb.pipeline.symbol_values(bad),
])
@pytest.mark.parametrize("bad", [None, {"d_model": 768}, "gpt2", 3])
def test_public_functions_refuse_a_bad_config_with_a_value_error(call, bad):
    with pytest.raises(ValueError, match="config must be an everybyte.ModelConfig"):
        call(bad)


def test_estimate_checks_workload_and_setup():
    with pytest.raises(ValueError, match="workload must be an everybyte.Workload"):
        eb.estimate(eb.GPT2_SMALL, (8, 1024))
    with pytest.raises(ValueError, match="setup must be an everybyte.Setup"):
        eb.estimate(eb.GPT2_SMALL, eb.Workload(8, 1024), "bf16")
    with pytest.raises(ValueError, match="setup needs a workload"):
        eb.estimate(eb.GPT2_SMALL, None, eb.Setup())
    with pytest.raises(ValueError, match="dtype must be one of fp32, bf16, fp16"):
        eb.Setup(dtype="int8")
    with pytest.raises(ValueError, match="optimizer must be one of adamw, sgd_momentum, sgd"):
        eb.Setup(optimizer="adam")
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        eb.Workload(0, 8)


def test_parameter_count_checks_with_value_error_not_assert():
    with pytest.raises(ValueError, match="breakdown must sum to total"):
        eb.ParameterCount(total=3, breakdown={"a": 1})


def test_exact_and_sweep_check_their_arguments():
    from everybyte.symbols import B, S

    with pytest.raises(ValueError, match="expr must be a SymPy expression"):
        eb.exact("B*S", {B: 1, S: 2})
    with pytest.raises(ValueError, match="values must be a mapping"):
        eb.exact(B * S, [1, 2])
    with pytest.raises(ValueError, match="keyed by SymPy symbols or symbol names"):
        eb.exact(B * S, {1: 2})
    assert eb.exact(B * S, {"B": 3, "S": 5}) == 15
    with pytest.raises(ValueError, match="expr must be a SymPy expression"):
        eb.sweep("__import__('os')", {B: [1, 2]})
    with pytest.raises(ValueError, match="sweep needs numbers"):
        eb.sweep(B * S, {B: "1", S: 2})


def test_plotting_never_parses_strings():
    pytest.importorskip("matplotlib")
    from everybyte.symbols import B, S

    marker = []
    evil = "__import__('builtins').setattr(__import__('builtins'), 'EVIL', 1)"
    with pytest.raises(ValueError, match="strings are never parsed"):
        eb.plotting.plot_memory_against({"evil": evil}, {S: 8}, B, [1, 2])
    import builtins

    assert not hasattr(builtins, "EVIL") and not marker
