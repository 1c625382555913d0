"""Property tests: exact and float evaluation agree; totals are the sums of their parts."""

import numpy as np
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import everybyte as eb
from everybyte import memory, parameters
from everybyte.symbols import B, S


@st.composite
def configs(draw):
    n_heads = draw(st.integers(1, 64))
    head_dim = draw(st.integers(1, 256))
    return eb.ModelConfig(
        vocab_size=draw(st.integers(1, 300_000)),
        d_model=n_heads * head_dim,
        n_layers=draw(st.integers(1, 200)),
        n_heads=n_heads,
        d_ff=draw(st.integers(1, 100_000)),
        n_positions=draw(st.integers(0, 10_000)),
        attention_bias=draw(st.booleans()),
        mlp_bias=draw(st.booleans()),
        tied_embeddings=draw(st.booleans()),
        final_norm=draw(st.booleans()),
    )


@settings(max_examples=60, deadline=None)
@given(configs())
def test_parameter_breakdown_sums_to_total_and_matches_float_sweep(cfg):
    count = eb.count_params(cfg)
    assert sum(count.breakdown.values()) == count.total
    expr = parameters.total_parameters_expr(cfg)
    assert eb.exact(expr, cfg.symbol_values()) == count.total
    swept = eb.sweep(expr, {s: np.array([v]) for s, v in cfg.symbol_values().items()})
    assert swept[0] == np.float64(count.total) or abs(swept[0] - count.total) <= 1e-12 * count.total


@settings(max_examples=40, deadline=None)
@given(configs(), st.integers(1, 64), st.integers(1, 8192), st.sampled_from(sorted(memory.PRECISIONS)))
def test_activation_total_is_sum_of_saved_tensors_and_sweep_agrees(cfg, batch, seq, setting):
    values = memory.workload_values(cfg, batch, seq)
    total = eb.exact(memory.activation_memory(setting), values)
    per_layer = sum(eb.exact(t.each, values) for t in memory.layer_saved_tensors(setting))
    head = sum(eb.exact(t.each, values) for t in memory.head_saved_tensors(setting))
    assert total == cfg.n_layers * per_layer + head
    assert isinstance(total, int)
    expr = memory.activation_memory(setting)
    swept = eb.sweep(expr, {s: values[s] for s in expr.free_symbols})
    assert abs(float(swept) - total) <= 1e-9 * total


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 10**13), st.sampled_from(sorted(eb.options.DTYPE_BITS)))
def test_model_memory_is_bits_over_eight_rounded_up(n, dtype):
    got = eb.model_memory_bytes(n, dtype)
    assert got == -(-n * eb.options.DTYPE_BITS[dtype] // 8)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 4096), min_size=2, max_size=6))
def test_sweep_over_batch_is_linear_for_steady_state(batches):
    values = {memory.N: 124_439_808, S: 1024, B: np.array(batches)}
    swept = eb.sweep(memory.steady_state_memory, values)
    exact = [eb.exact(memory.steady_state_memory, {memory.N: 124_439_808, S: 1024, B: b}) for b in batches]
    np.testing.assert_allclose(swept, np.array(exact, dtype=float), rtol=1e-15)


def test_sweep_does_not_overflow_at_gpt3_scale():
    # int64 lambdify would overflow at 6 N D; float64 sweeps must not.
    n = eb.count_params(eb.GPT3_175B).total
    expr = 6 * memory.N * sp.Symbol("D", positive=True, integer=True)
    d_tokens = 300_000_000_000
    swept = eb.sweep(expr, {memory.N: np.array([n], dtype=np.int64), sp.Symbol("D", positive=True, integer=True): np.array([d_tokens])})
    assert swept[0] == float(6 * n * d_tokens)
