"""count_params against the real model code: transformers models built on the meta device.

For every supported model_type, at least two configurations (the published one
or the transformers default, and one of odd sizes: few layers, head counts that
are not powers of two, grouped-query attention, tied and untied outputs), the
total must equal ``sum(p.numel() for p in model.parameters())`` exactly, and the
breakdown must match the named modules.
"""

import json
import re

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import everybyte as eb  # noqa: E402
from everybyte import families, presets  # noqa: E402

ODD = {
    "gpt2": {"n_embd": 60, "n_layer": 3, "n_head": 5, "vocab_size": 1001, "n_positions": 37, "n_inner": 100,
             "tie_word_embeddings": False},
    "llama": {"hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2, "head_dim": 20,
              "intermediate_size": 200, "num_hidden_layers": 3, "vocab_size": 999, "attention_bias": True,
              "mlp_bias": True, "tie_word_embeddings": True},
    "mistral": {"hidden_size": 80, "num_attention_heads": 5, "num_key_value_heads": 1, "intermediate_size": 130,
                "num_hidden_layers": 2, "vocab_size": 777, "tie_word_embeddings": True},
    "qwen2": {"hidden_size": 72, "num_attention_heads": 6, "num_key_value_heads": 3, "intermediate_size": 100,
              "num_hidden_layers": 2, "vocab_size": 500, "tie_word_embeddings": True},
    "gpt_neox": {"hidden_size": 48, "num_attention_heads": 3, "intermediate_size": 70, "num_hidden_layers": 2,
                 "vocab_size": 321, "attention_bias": False, "use_parallel_residual": False,
                 "tie_word_embeddings": True},
    "mixtral": {"hidden_size": 48, "num_attention_heads": 6, "num_key_value_heads": 3, "num_local_experts": 5,
                "num_experts_per_tok": 3, "intermediate_size": 40, "num_hidden_layers": 2, "vocab_size": 300,
                "tie_word_embeddings": True},
}
SMALL_DEFAULT_OVERRIDES = {  # the transformers defaults, with fewer layers to keep the meta build quick
    "qwen2": {"num_hidden_layers": 2},
    "gpt_neox": {"num_hidden_layers": 2},
}
FILE_PRESETS = [name for name in presets.preset_sources()]

CASES = (
    [pytest.param(json.loads(presets.preset_path(n).read_text()), id=f"preset-{n}") for n in FILE_PRESETS]
    + [pytest.param({"model_type": t, **kw}, id=f"odd-{t}") for t, kw in ODD.items()]
    + [pytest.param({"model_type": t, **kw}, id=f"default-{t}") for t, kw in SMALL_DEFAULT_OVERRIDES.items()]
    + [pytest.param({"model_type": t}, id=f"bare-{t}") for t in ("gpt2", "llama", "mistral", "mixtral")]
)


def build(data):
    return eb.measure.build_model(data, meta=True)


def component(name: str) -> str:
    """The package's group key for a real parameter name (written from the module names)."""
    bias = name.endswith(".bias") or name.endswith("_bias")
    if re.search(r"(^|\.)(wte|embed_tokens|embed_in)\.", name):
        return "token_embedding"
    if re.search(r"(^|\.)wpe\.", name):
        return "position_embedding"
    if name.startswith("lm_head.") or ".embed_out." in name:
        return "output_layer"
    if re.search(r"(\.ln_f\.|^model\.norm\.|\.final_layer_norm\.)", name):
        return "final_norm"
    if re.search(r"\.(ln_1|ln_2|input_layernorm|post_attention_layernorm)\.", name):
        return "layer_norms"
    if re.search(r"\.mlp\.gate\.weight$|block_sparse_moe\.gate\.", name):
        return "router"
    if re.search(r"\.(attn|self_attn|attention)\.", name):
        return "attention_biases" if bias else "attention_weights"
    if re.search(r"\.(mlp|block_sparse_moe)\.", name):
        return "feed_forward_biases" if bias else "feed_forward_weights"
    raise AssertionError(f"unclassified parameter {name}")


@pytest.mark.parametrize("data", CASES)
def test_total_and_breakdown_equal_the_real_model(data):
    model = build(data)
    expected = {}
    for name, p in model.named_parameters():  # tied weights appear once
        expected[component(name)] = expected.get(component(name), 0) + p.numel()
    cfg = eb.from_hf_config(data)
    count = eb.count_params(cfg)
    assert count.total == sum(p.numel() for p in model.parameters())
    assert count.breakdown == expected
    # the tensor table, tensor by tensor: the same sizes, and the same count and largest tensor
    real = sorted(p.numel() for p in model.parameters())
    assert sorted(n for _, _, n in eb.parameters.tensors(cfg)) == real
    est = eb.estimate(cfg)
    assert est["parameter_tensors"] == len(real)
    assert est["largest_parameter_tensor"] == real[-1]


def test_mixtral_with_one_expert_keeps_its_router():
    data = {"model_type": "mixtral", "hidden_size": 48, "num_attention_heads": 6, "num_key_value_heads": 3,
            "num_local_experts": 1, "num_experts_per_tok": 1, "intermediate_size": 40, "num_hidden_layers": 1,
            "vocab_size": 300}
    model = build(data)
    count = eb.count_params(eb.from_hf_config(data))
    assert count.total == sum(p.numel() for p in model.parameters())
    assert count.breakdown["router"] == 48


@pytest.mark.parametrize("data", [c for c in CASES if c.values[0]["model_type"] == "mixtral"])
def test_active_parameters_of_a_mixture_of_experts(data):
    model = build(data)
    cfg = model.config
    experts = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
    dense = sum(p.numel() for p in model.parameters()) - experts
    active = dense + experts * cfg.num_experts_per_tok // cfg.num_local_experts
    assert eb.count_params(eb.from_hf_config(data)).active == active


@pytest.mark.parametrize("model_type", families.SUPPORTED_MODEL_TYPES)
def test_defaults_are_those_of_the_transformers_config_class(model_type):
    config = transformers.AutoConfig.for_model(model_type)
    for field, key in families.MODEL_TYPES[model_type].keys.items():
        if key.default is None:  # resolved from other keys by the config class or the model
            continue
        head, *rest = key.names[0].split(".")
        value = getattr(config, head)
        for part in rest:
            value = value[part]
        assert value == key.default, (field, key.names[0])


def test_published_totals():
    # Totals reported for these checkpoints (model cards, papers), independent of both codes.
    published = {"gpt2": 124_439_808, "gpt2-medium": 354_823_168, "gpt2-large": 774_030_080,
                 "gpt2-xl": 1_557_611_200, "llama-2-7b": 6_738_415_616, "llama-2-13b": 13_015_864_320,
                 "llama-2-70b": 68_976_648_192, "llama-3-8b": 8_030_261_248, "mistral-7b": 7_241_732_096,
                 "mixtral-8x7b": 46_702_792_704}
    for name, total in published.items():
        assert eb.count_params(eb.preset(name)).total == total, name
