"""count_params against the real model code: transformers models built on the meta device.

For every supported model_type, at least two configurations (the published one
or the transformers default, and one of odd sizes: few layers, head counts that
are not powers of two, grouped-query attention, tied and untied outputs), the
total must equal ``sum(p.numel() for p in model.parameters())`` exactly, and the
breakdown must match the named modules.
"""

import dataclasses
import json
import re

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import everybyte as eb  # noqa: E402
from everybyte import families, presets  # noqa: E402

from zoo_cases import ODD  # noqa: E402

#: Transformers defaults that cannot be built as they are: the ministral default has
#: head_dim null and no rotary width; deepseek_v2's has num_experts_per_tok null (refused by
#: the package, see test_refusals). Each gets the one key it lacks.
DEFAULT_FIXES = {"ministral": {"head_dim": 128}, "deepseek_v2": {"num_experts_per_tok": 6}}
FILE_PRESETS = [name for name in presets.preset_sources()]

CASES = (
    [pytest.param(json.loads(presets.preset_path(n).read_text()), id=f"preset-{n}") for n in FILE_PRESETS]
    + [pytest.param({"model_type": t, **kw}, id=f"odd{i}-{t}") for t, cases in ODD.items()
       for i, kw in enumerate(cases)]
    + [pytest.param({"model_type": t, **DEFAULT_FIXES.get(t, {})}, id=f"default-{t}")
       for t in families.SUPPORTED_MODEL_TYPES]
)


def build(data):
    return eb.measure.build_model(data, meta=True)


_LAYER = r"\.(h|layers|blocks)\.\d+\."
_LAYER_NORMS = (r"\.(ln_1|ln_2|ln_attn|ln_mlp|norm_1|norm_2|input_layernorm|post_attention_layernorm|"
                r"pre_feedforward_layernorm|post_feedforward_layernorm|self_attn_layer_norm|final_layer_norm|"
                r"attention_layernorm|feedforward_layernorm|post_self_attn_layernorm|post_mlp_layernorm|"
                r"operator_norm|ffn_norm|pre_ff_layernorm|norm)\.(weight|bias)$")


def component(name: str, has_experts: bool) -> str:
    """The package's group key for a real parameter name (written from the module names of each model)."""
    bias = name.endswith(".bias") or name.endswith("_bias")
    in_layer = re.search(_LAYER, name) is not None
    if re.search(r"(^|\.)(wte|embed_tokens|embed_in|word_embeddings|embeddings)\.weight$", name):
        return "token_embedding"
    if re.search(r"(^|\.)(wpe|embed_positions)\.", name):
        return "position_embedding"
    if "word_embeddings_layernorm" in name:
        return "embedding_norm"
    if re.search(r"\.project_(in|out)\.", name):
        return "embedding_projections"
    if name == "lm_head.bias":
        return "output_bias"
    if name.startswith("lm_head.") or ".embed_out." in name:
        return "output_layer"
    if not in_layer:  # LFM2's embedding_norm is applied after the last layer: its final norm
        assert re.search(r"(ln_f|norm|final_layer_norm|norm_f|final_layernorm|embedding_norm)\.(weight|bias)$", name)
        return "final_norm"
    if re.search(r"\.(q_norm|k_norm|q_layernorm|k_layernorm|q_a_layernorm|kv_a_layernorm)\.", name):
        return "attention_norms"
    if name.endswith(".sinks"):
        return "attention_sinks"
    if ".linear_attn." in name:
        return "linear_attention"
    if re.search(r"\.conv\.(conv|in_proj|out_proj)\.", name):
        return "convolution_mixers"
    if ".mamba." in name or re.search(r"\.mixer\.(A_log|D|dt_bias|conv1d|in_proj|out_proj|x_proj|dt_proj|norm)\b",
                                      name):
        return "state_space_mixers"
    if "act_fn.alpha" in name:
        return "activation_parameters"
    if "shared_mlp" in name:  # Granite 4: the shared MLP is the whole feed-forward block without experts
        return "shared_experts" if has_experts else "feed_forward_weights"
    if re.search(r"shared_expert", name):
        return "shared_experts"
    if re.search(r"(\.gate\.|\.router\.|moe_statics)", name):
        return "router"
    if re.search(_LAYER_NORMS, name):
        return "layer_norms"
    if re.search(r"\.(attn|self_attn|attention|self_attention)\.", name) or re.search(r"\.mixer\.[qkvo]_proj\.",
                                                                                        name):
        return "attention_biases" if bias else "attention_weights"
    if re.search(r"\.(mlp|ffn|feed_forward|block_sparse_moe|fc1|fc2)\.", name) or re.search(
            r"\.mixer\.(up_proj|down_proj|experts|fc[12]_latent_proj)", name):
        return "feed_forward_biases" if bias else "feed_forward_weights"
    raise AssertionError(f"unclassified parameter {name}")


#: Mamba's config calls its mixers linear_attention; the package says mamba (a DeltaNet is linear attention).
MAMBA_KIND = {"linear_attention": "mamba"}
#: Types whose config's layer_types name something else than the token mixer of each layer:
#: Granite 4 and Nemotron-H call their Mamba layers linear_attention and list MLP blocks;
#: Jamba's property maps its Mamba layers to linear_attention too; Falcon-H1 runs both in each layer.
LAYER_TYPE_NAMES_DIFFER = {"granitemoehybrid", "nemotron_h", "jamba", "falcon_h1"}


@pytest.mark.parametrize("data", CASES)
def test_total_and_breakdown_equal_the_real_model(data):
    model = build(data)
    named = dict(model.named_parameters())  # tied weights appear once
    has_experts = any(".experts." in name for name in named)
    expected = {}
    for name, p in named.items():
        group = component(name, has_experts)
        expected[group] = expected.get(group, 0) + p.numel()
    cfg = eb.from_hf_config(data)
    count = eb.count_params(cfg)
    assert count.total == sum(p.numel() for p in model.parameters())
    assert count.breakdown == {k: v for k, v in expected.items() if v}
    # the tensor table, tensor by tensor: the same sizes, and the same count and largest tensor
    real = sorted(p.numel() for p in model.parameters())
    assert sorted(n for _, _, n in eb.parameters.tensors(cfg)) == real
    est = eb.estimate(cfg)
    assert est["parameter_tensors"] == len(real)
    assert est["largest_parameter_tensor"] == real[-1]
    # the buffers a training step holds (rotary frequencies, masks, scales), byte for byte
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    assert eb.estimate(cfg, eb.Workload(1, 1))["training/buffers"] == buffers
    # the layer pattern, where the transformers config states one
    real_types = getattr(model.config, "layer_types", None)
    if isinstance(real_types, list) and cfg.model_type not in LAYER_TYPE_NAMES_DIFFER:
        kinds = MAMBA_KIND if cfg.model_type in ("mamba", "mamba2") else {}
        assert list(cfg.mixers) == [kinds.get(k, k) for k in real_types]


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


#: Keys only a config class's __init__ reads from its keyword arguments (they are no fields):
#: the default written here was read in the class's source.
KWARG_DEFAULTS = {("gemma3_text", "sliding_window_pattern"): 6, ("cohere2", "sliding_window_pattern"): 4,
                  ("qwen3_next", "full_attention_interval"): 4, ("qwen3_5_text", "full_attention_interval"): 4,
                  ("nemotron_h", "hybrid_override_pattern"): None}


def _declared_default(config_class, instance, dotted: str):
    """What transformers uses for ``dotted`` when a file lacks it: the field's declared default,
    or (nested keys, attributes set in __post_init__) the value on a default instance."""
    head, *rest = dotted.split(".")
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    if not rest and head in fields:
        field = fields[head]
        if field.default is not dataclasses.MISSING:
            return field.default
        if field.default_factory is not dataclasses.MISSING:
            return field.default_factory()
    value = getattr(instance, config_class.attribute_map.get(head, head))
    for part in rest:
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


@pytest.mark.parametrize("model_type", families.SUPPORTED_MODEL_TYPES)
def test_defaults_are_those_of_the_transformers_config_class(model_type):
    entry = families.MODEL_TYPES[model_type]
    config_class = transformers.AutoConfig.for_model(model_type, **DEFAULT_FIXES.get(model_type, {})).__class__
    instance = transformers.AutoConfig.for_model(model_type, **DEFAULT_FIXES.get(model_type, {}))
    for field_name, key in {**entry.keys, **entry.inputs}.items():
        if (model_type, key.names[0]) in KWARG_DEFAULTS:
            assert key.default == KWARG_DEFAULTS[model_type, key.names[0]], (field_name, key.names[0])
            continue
        if key.default is None and not hasattr(instance, key.names[0].split(".")[0]):
            continue  # read from the file only (head_dim of types whose class has none)
        assert key.default == _declared_default(config_class, instance, key.names[0]), (field_name, key.names[0])


@pytest.mark.parametrize("model_type", sorted(families.REFUSED))
def test_refused_types_name_their_reason(model_type):
    with pytest.raises(ValueError, match=f"model_type '{model_type}' is not counted: "):
        eb.from_hf_config({"model_type": model_type})
    assert transformers.AutoConfig.for_model(model_type)  # a real causal-LM type of transformers 5.24


def test_null_top_k_is_refused():
    with pytest.raises(ValueError, match="num_experts_per_tok is null"):
        eb.from_hf_config({"model_type": "deepseek_v2"})


def test_published_totals():
    # Totals reported for these checkpoints (model cards, papers), independent of both codes.
    published = {"gpt2": 124_439_808, "gpt2-medium": 354_823_168, "gpt2-large": 774_030_080,
                 "gpt2-xl": 1_557_611_200, "llama-2-7b": 6_738_415_616, "llama-2-13b": 13_015_864_320,
                 "llama-2-70b": 68_976_648_192, "llama-3-8b": 8_030_261_248, "mistral-7b": 7_241_732_096,
                 "mixtral-8x7b": 46_702_792_704}
    for name, total in published.items():
        assert eb.count_params(eb.preset(name)).total == total, name
