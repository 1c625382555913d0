"""Parameter counts against values obtained independently of the package's formulas."""

import math

import pytest
import sympy as sp

import everybyte as eb
from everybyte import parameters
from everybyte.symbols import d_ff, d_model

# Totals of Hugging Face GPT2LMHeadModel, sum(p.numel() for p in model.parameters()),
# as published on the model cards and reproduced by every GPT-2 implementation.
HF_GPT2_TOTALS = {
    # name: (n_layer, n_embd, n_head, total)
    "gpt2": (12, 768, 12, 124_439_808),
    "gpt2-medium": (24, 1024, 16, 354_823_168),
    "gpt2-large": (36, 1280, 20, 774_030_080),
    "gpt2-xl": (48, 1600, 25, 1_557_611_200),
}


def gpt2_state_dict_shapes(n_layer, n_embd, vocab=50_257, n_positions=1024):
    """The tensors of GPT2LMHeadModel, written out by name (lm_head is tied to wte)."""
    shapes = [("wte", (vocab, n_embd)), ("wpe", (n_positions, n_embd))]
    for i in range(n_layer):
        shapes += [
            (f"h.{i}.ln_1.weight", (n_embd,)), (f"h.{i}.ln_1.bias", (n_embd,)),
            (f"h.{i}.attn.c_attn.weight", (n_embd, 3 * n_embd)), (f"h.{i}.attn.c_attn.bias", (3 * n_embd,)),
            (f"h.{i}.attn.c_proj.weight", (n_embd, n_embd)), (f"h.{i}.attn.c_proj.bias", (n_embd,)),
            (f"h.{i}.ln_2.weight", (n_embd,)), (f"h.{i}.ln_2.bias", (n_embd,)),
            (f"h.{i}.mlp.c_fc.weight", (n_embd, 4 * n_embd)), (f"h.{i}.mlp.c_fc.bias", (4 * n_embd,)),
            (f"h.{i}.mlp.c_proj.weight", (4 * n_embd, n_embd)), (f"h.{i}.mlp.c_proj.bias", (n_embd,)),
        ]
    shapes += [("ln_f.weight", (n_embd,)), ("ln_f.bias", (n_embd,))]
    return shapes


@pytest.mark.parametrize("name", HF_GPT2_TOTALS)
def test_gpt2_family_matches_published_totals_and_state_dict(name):
    n_layer, n_embd, n_head, published = HF_GPT2_TOTALS[name]
    cfg = eb.ModelConfig(vocab_size=50_257, d_model=n_embd, n_layers=n_layer, n_heads=n_head,
                         d_ff=4 * n_embd, n_positions=1024)
    by_shapes = sum(math.prod(shape) for _, shape in gpt2_state_dict_shapes(n_layer, n_embd))
    assert by_shapes == published
    assert eb.count_params(cfg).total == published


def test_gpt2_small_preset_is_124_439_808():
    assert eb.count_params(eb.GPT2_SMALL).total == 124_439_808


def test_gpt3_175b_by_state_dict_shapes():
    by_shapes = sum(math.prod(s) for _, s in gpt2_state_dict_shapes(96, 12_288, n_positions=2048))
    assert eb.count_params(eb.GPT3_175B).total == by_shapes == 174_604_259_328


def test_article_example_by_hand():
    # embedding 50,000*768; attention 4*768^2; ffn 2*768*3072 + 768 + 3072; 2 layer norms 2*(2*768)
    per_layer = 2_359_296 + (4_718_592 + 768 + 3072) + 3_072
    assert per_layer == 7_084_800
    assert eb.count_params(eb.ARTICLE_EXAMPLE).total == 12 * per_layer + 38_400_000 == 123_417_600
    values = eb.ARTICLE_EXAMPLE.symbol_values()
    assert eb.exact(parameters.ARTICLE_FEED_FORWARD, values) == 4_722_432
    assert eb.exact(parameters.ARTICLE_TOTAL_WITH_OUTPUT, values) == 123_417_600 + 38_400_000


def test_untied_output_layer_adds_v_times_d():
    tied = eb.count_params(eb.GPT2_SMALL)
    untied = eb.count_params(eb.ModelConfig(**{**eb.GPT2_SMALL.as_dict(), "tied_embeddings": False}))
    assert untied.total - tied.total == 50_257 * 768
    assert untied.breakdown["output_layer"] == 38_597_376


def test_breakdown_sums_to_total_and_names_components():
    count = eb.count_params(eb.GPT2_SMALL)
    assert sum(count.breakdown.values()) == count.total
    assert count.breakdown["position_embedding"] == 1024 * 768
    assert count.breakdown["final_norm"] == 2 * 768
    assert isinstance(count.total, int) and not isinstance(count.total, bool)


def test_layer_is_12_d_squared_plus_13_d_for_gpt_layout():
    layer = sp.Add(*parameters.layer_parameter_terms(eb.GPT2_SMALL).values()).subs(d_ff, 4 * d_model)
    assert sp.expand(layer - (12 * d_model**2 + 13 * d_model)) == 0


def test_numpy_integer_sizes_become_python_ints_and_do_not_overflow():
    np = pytest.importorskip("numpy")
    big = np.int64(2**40)
    cfg = eb.ModelConfig(vocab_size=big, d_model=np.int64(2**20), n_layers=np.int64(2**10), n_heads=np.int64(2**10))
    assert type(cfg.vocab_size) is int and type(cfg.d_model) is int
    # by hand: V d + L (12 d^2 + 13 d) + 2 d with d = 2^20, L = 2^10, V = 2^40 (far past int64)
    d, layers, vocab = 2**20, 2**10, 2**40
    assert eb.count_params(cfg).total == vocab * d + layers * (12 * d**2 + 13 * d) + 2 * d


def test_heads_do_not_change_parameter_count():
    a = eb.ModelConfig(vocab_size=100, d_model=64, n_layers=2, n_heads=1, d_ff=256)
    b = eb.ModelConfig(vocab_size=100, d_model=64, n_layers=2, n_heads=16, d_ff=256)
    assert eb.count_params(a).total == eb.count_params(b).total
