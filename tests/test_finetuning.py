"""LoRA, DoRA and QLoRA against peft 0.21.2 (chapter 17).

Trainable parameters: exactly what ``get_nb_trainable_parameters()`` returns
first, for every supported family and target set (models on the meta device).
The step's peak against MemTracker is a sample of the benchmark.
"""

import pytest

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
