"""LoRA, DoRA and QLoRA against peft 0.21.2 (chapter 17).

Trainable parameters: exactly what ``get_nb_trainable_parameters()`` returns
first, for every supported family and target set (models on the meta device).
The step's peak against MemTracker is a sample of the benchmark.
"""

import pytest
import sympy

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

import everybyte as eb  # noqa: E402
from everybyte import measure_serving as ms  # noqa: E402
from everybyte.knobs import LoRA  # noqa: E402

MODELS = {data["model_type"]: data for data in ms.LAYOUTS.values()}  # one small model per model type
TARGETS = {
    "gpt2": [("c_attn",), ("c_proj",), ("c_attn", "c_fc"), ("all-linear",)],
    "gpt_neox": [("query_key_value",), ("dense", "dense_4h_to_h"), ("all-linear",)],
    "llama": [("q_proj", "v_proj"), ("k_proj", "o_proj", "down_proj"), ("gate_proj", "up_proj"), ("all-linear",)],
    "qwen2": [("q_proj", "v_proj"), ("all-linear",)],
    "mistral": [("v_proj", "up_proj"), ("all-linear",)],
    "mixtral": [("q_proj", "v_proj"), ("gate",), ("all-linear",)],
}
CASES = [(m, t, rank, dora) for m in MODELS for t in TARGETS[m] for rank, dora in ((1, False), (7, False), (4, True))
         if not (dora and m == "mixtral" and t != ("q_proj", "v_proj"))]


def _lora(targets, rank, dora):
    return LoRA(rank=rank, targets=targets, dora=dora)


@pytest.mark.parametrize("model_type, targets, rank, dora", CASES)
def test_trainable_parameters_are_what_peft_counts(model_type, targets, rank, dora):
    data = MODELS[model_type]
    peft_targets = "all-linear" if targets == ("all-linear",) else targets
    expected = ms.trainable_parameters(data, rank, peft_targets, dora=dora)
    est = eb.estimate(eb.from_hf_config(data), eb.Workload(1, 1), eb.Setup(lora=_lora(targets, rank, dora)))
    assert est["lora/trainable_parameters"] == expected


def test_mixtral_all_linear_with_a_second_expert_count():
    data = {**MODELS["mixtral"], "num_local_experts": 5, "intermediate_size": 24}
    est = eb.estimate(eb.from_hf_config(data), eb.Workload(1, 1), eb.Setup(lora=LoRA(3, ("all-linear",))))
    assert est["lora/trainable_parameters"] == ms.trainable_parameters(data, 3, "all-linear")


def test_llama_2_7b_by_hand():
    # r = 8 on q_proj and v_proj: 32 layers x 2 x 8 x (4096 + 4096) = 4,194,304 (the figure peft prints).
    est = eb.estimate(eb.preset("llama-2-7b"), eb.Workload(1, 1), eb.Setup(lora=LoRA(8, ("q_proj", "v_proj"))))
    assert est["lora/trainable_parameters"] == 4_194_304
    assert est["finetuning/adapter_weights"] == 4 * 4_194_304


def test_dora_on_mixtrals_router_is_refused_as_peft_refuses_it():
    with pytest.raises(ValueError, match="ParamWrapper"):
        ms.trainable_parameters(MODELS["mixtral"], 4, ["gate"], dora=True)
    with pytest.raises(ValueError, match="refuses DoRA"):
        eb.estimate(eb.from_hf_config(MODELS["mixtral"]), eb.Workload(1, 1), eb.Setup(lora=LoRA(4, ("gate",), dora=True)))


def test_targets_peft_would_not_find_are_refused():
    with pytest.raises(ValueError, match="match no module of the gpt2 family"):
        eb.estimate(eb.preset("gpt2"), eb.Workload(1, 1), eb.Setup(lora=LoRA(8, ("q_proj",))))
    with pytest.raises(ValueError, match="targets must be one of"):
        LoRA(8, ("qproj",))


def test_lora_step_peak_against_memtracker():
    # A sample of benchmarks/serving_and_finetuning.py: the benchmark's llama, q_proj and v_proj.
    data = ms.PEAK_LLAMA
    model = ms.peft_model(data, 4, ("q_proj", "v_proj"))
    measured = ms.lora_step_peak_bytes(model, 2, 64)
    est = eb.estimate(eb.from_hf_config(data), eb.Workload(2, 64), eb.Setup(lora=LoRA(4, ("q_proj", "v_proj"))))
    assert abs(est["finetuning/step_peak"] - measured) / measured < 0.01


# --- every model type of chapter 14's zoo (tests/zoo_cases.py), on the meta device -------------------

def _zoo():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from zoo_cases import ODD

    return [{"model_type": t, **c} for t, cases in ODD.items() for c in cases]


def _subset(model_type):
    """A named subset peft accepts: q_proj and v_proj where the type has them, else its first two modules."""
    modules = [m for m in eb.knobs.LORA_MODULES[model_type]
               if not (model_type in eb.linear_names.PEFT_MAMBA and m == "out_proj")]
    return ("q_proj", "v_proj") if {"q_proj", "v_proj"} <= set(modules) else tuple(modules[:2])


ZOO_CASES = [(data, targets, dora) for data in _zoo()
             for targets in (("all-linear",), _subset(data["model_type"])) for dora in (False, True)]


@pytest.mark.parametrize("data, targets, dora", ZOO_CASES,
                         ids=lambda x: x["model_type"] if isinstance(x, dict) else ",".join(x) if isinstance(x, tuple)
                         else ("dora" if x else "lora"))
def test_every_zoo_model_type_has_pefts_trainable_parameters(data, targets, dora):
    # Exactly get_nb_trainable_parameters() where peft adapts the targets; where peft refuses them
    # (all-linear on a Mamba-based model, DoRA on ParamWrapper experts), a ValueError with peft's reason.
    peft_targets = "all-linear" if targets == ("all-linear",) else targets
    lora = LoRA(rank=3, targets=targets, dora=dora)
    try:
        expected = ms.trainable_parameters(data, 3, peft_targets, dora=dora)
    except ValueError as refusal:
        reason = "ParamWrapper" if "ParamWrapper" in str(refusal) else "incompatible with Mamba-based models"
        assert reason in str(refusal)
        with pytest.raises(ValueError, match=reason):
            eb.estimate(eb.from_hf_config(data), eb.Workload(1, 1), eb.Setup(lora=lora))
        return
    est = eb.estimate(eb.from_hf_config(data), eb.Workload(1, 1), eb.Setup(lora=lora))
    assert est["lora/trainable_parameters"] == expected
    model = ms.peft_model(data, 3, peft_targets, dora=dora, meta=True)
    adapters = sum(1 for name, p in model.named_parameters() if p.requires_grad)
    assert est["lora/adapter_tensors"] == adapters


@pytest.mark.parametrize("model_type, targets", [
    ("qwen3_moe", ("gate_proj", "up_proj")), ("qwen3_moe", ("down_proj", "gate")), ("minimax_m2", ("w1", "w3", "w2")),
    ("deepseek_v3", ("q_a_proj", "kv_b_proj", "gate")), ("deepseek_v2", ("kv_a_proj_with_mqa", "down_proj")),
    ("qwen2_moe", ("gate_proj", "shared_expert_gate")), ("llama4_text", ("router", "up_proj")),
    ("mamba", ("in_proj", "x_proj", "dt_proj")), ("nemotron_h", ("in_proj", "up_proj", "down_proj")),
    ("lfm2", ("out_proj", "in_proj", "w2")), ("opt", ("project_in", "project_out", "fc1")),
    ("granitemoehybrid", ("input_linear", "output_linear")), ("qwen3_next", ("in_proj_qkvz", "out_proj", "gate")),
    ("gpt_bigcode", ("c_proj",)), ("falcon", ("query_key_value", "dense_4h_to_h")), ("mpt", ("Wqkv",)),
])
def test_named_modules_of_zoo_types_are_pefts(model_type, targets):
    for data in (d for d in _zoo() if d["model_type"] == model_type):
        expected = ms.trainable_parameters(data, 5, targets)
        est = eb.estimate(eb.from_hf_config(data), eb.Workload(1, 1), eb.Setup(lora=LoRA(5, targets)))
        assert est["lora/trainable_parameters"] == expected, data


def test_nemotron_latent_projections_are_pefts():
    # Only the second config has latent projections (the first one's are nn.Identity, which peft refuses).
    data = [d for d in _zoo() if d["model_type"] == "nemotron_h"][1]
    targets = ("fc1_latent_proj", "fc2_latent_proj", "in_proj")
    est = eb.estimate(eb.from_hf_config(data), eb.Workload(1, 1), eb.Setup(lora=LoRA(5, targets)))
    assert est["lora/trainable_parameters"] == ms.trainable_parameters(data, 5, targets)


def test_pefts_refusals_of_zoo_types_are_refused_with_its_reason():
    data = next(d for d in _zoo() if d["model_type"] == "qwen3_moe")
    with pytest.raises(ValueError, match="without also targeting up_proj"):
        ms.trainable_parameters(data, 3, ["gate_proj"])
    with pytest.raises(ValueError, match="without also targeting up_proj"):
        eb.estimate(eb.from_hf_config(data), eb.Workload(1, 1), eb.Setup(lora=LoRA(3, ("gate_proj",))))
    mamba = next(d for d in _zoo() if d["model_type"] == "mamba")
    with pytest.raises(ValueError, match="incompatible with Mamba-based models"):
        ms.trainable_parameters(mamba, 3, ["out_proj"])
    with pytest.raises(ValueError, match="incompatible with Mamba-based models"):
        eb.estimate(eb.from_hf_config(mamba), eb.Workload(1, 1), eb.Setup(lora=LoRA(3, ("out_proj",))))
    with pytest.raises(ValueError, match=r"no module of qwen2 \(the llama family\); its linear layers are q_proj"):
        eb.estimate(eb.from_hf_config({"model_type": "qwen2"}), eb.Workload(1, 1),
                    eb.Setup(lora=LoRA(3, ("c_attn",))))


def test_roles_take_the_model_types_names():
    assert LoRA(4, ("qkv_proj", "gate_up_proj")).roles("phi3") == ("l_qkv", "l_gate_up")
    assert LoRA(4, ("c_proj",)).roles("gpt2") == ("l_o", "l_down")
    assert LoRA(4, ("c_proj",)).roles("starcoder2") == ("l_down",)
    with pytest.raises(ValueError, match="model_type must be one of"):
        LoRA(4, ("q_proj",)).roles("qwen99")


def test_every_model_type_has_peft_names_for_tensors_of_its_familys_map():
    # The data of everybyte.linear_names can only name tensors of the family's linear map, whose
    # d_in d_out are the table's numel (so the map and the table cannot drift).
    assert set(eb.linear_names.MODULES) == set(eb.families.SUPPORTED_MODEL_TYPES)
    for model_type, modules in eb.linear_names.MODULES.items():
        family = eb.families.MODEL_TYPES[model_type].family
        linears = {x.tensor: x for x in eb.linears.family_linears(family)}
        for module, tensors in modules.items():
            assert any(t in linears for t in tensors), (model_type, module)
    for family in eb.families.FAMILIES:
        names = {x.tensor for x in eb.linears.family_linears(family)}
        tensors = [t for t in eb.parameters.TABLES[family] if t.name in names]
        for x, t in zip(eb.linears.family_linears(family), tensors, strict=True):  # in the table's order
            assert x.tensor == t.name and x.present == t.present, (family, x.tensor)
            assert sympy.expand(x.count * x.d_in * x.d_out - t.count * t.numel) == 0, (family, x.tensor)


@pytest.mark.parametrize("model_type", eb.families.LORA_STEP_FAMILIES)
def test_lora_step_saved_bytes_of_the_derived_families(model_type):
    # Qwen3 and OLMo 2 follow the llama rules (q/k norms, OLMo 2's output norms); down_proj alone saves no
    # SiLU tensors in layer 0 (nothing below needs a gradient there).
    data = {"model_type": model_type, "hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2,
            "head_dim": 20, "intermediate_size": 200, "num_hidden_layers": 3, "vocab_size": 1009}
    cfg = eb.from_hf_config(data)
    for targets in (("down_proj",), ("k_proj", "o_proj")):
        model = ms.peft_model(data, 4, list(targets))
        est = eb.estimate(cfg, eb.Workload(2, 16), eb.Setup(lora=LoRA(4, targets)))
        assert eb.measure.saved_tensor_bytes(model, 2, 16) == est["finetuning/activations"], targets
