"""The names of the linear map (chapters 16, 17): roles of the tables' tensors and peft's module names.

Plain data, without SymPy, so that the command line can check LoRA targets
without importing it; :mod:`everybyte.linears` builds the sizes from the
tensor tables.  :data:`MODULES` maps, per model type, every module name peft
0.21.2 can adapt (the last part of the module's name, as peft matches it) to
the tensors of the family's table it covers, read from the real modules:
every zoo config built on the meta device (tests/test_finetuning.py checks
the counts against peft's ``get_nb_trainable_parameters`` for every model
type).  Two peft rules shape it: for the model types whose transformers 5
experts peft converts (:data:`PEFT_MOE_CONVERSION`), the v4 names of the
experts and of the router (``gate_proj``/``up_proj``/``down_proj`` or
``w1``/``w3``/``w2``, and ``gate``) become ``target_parameters`` on the 3-d
tensors (the fused gate/up tensor with twice the rank), so the dense and
shared MLPs of those models are not adapted at all; and peft refuses
``out_proj`` and ``conv1d`` on the Mamba-based models of :data:`PEFT_MAMBA`.
"""

from __future__ import annotations

#: Each adaptable linear tensor of the tables (by tensor name) and its LoRA role switch.
ROLES: dict[str, str] = {
    "attention.q": "l_q", "attention.k": "l_k", "attention.v": "l_v", "attention.qkv": "l_qkv",
    "attention.o": "l_o", "attention.q_a": "l_q_a", "attention.q_b": "l_q_b", "attention.kv_a": "l_kv_a",
    "attention.kv_b": "l_kv_b",
    "mlp.gate": "l_gate", "mlp.up": "l_up", "mlp.down": "l_down", "mlp.gate_up": "l_gate_up",
    "router": "l_router", "experts.gate_up": "l_experts", "experts.down": "l_experts_down",
    "shared_expert.gate": "l_shared_gate", "shared_expert.up": "l_shared_up", "shared_expert.down": "l_shared_down",
    "shared_expert.gate_up": "l_shared_gate_up", "shared_expert_gate": "l_shared_expert_gate",
    "mamba.in_proj": "l_ssm_in", "mamba.x_proj": "l_ssm_x", "mamba.dt_proj": "l_ssm_dt",
    "mamba.out_proj": "l_ssm_out",
    "linear_attn.in_proj_qkvz": "l_lin_qkvz", "linear_attn.in_proj_ba": "l_lin_ba",
    "linear_attn.in_proj_qkv": "l_lin_qkv", "linear_attn.in_proj_z": "l_lin_z", "linear_attn.in_proj_b": "l_lin_b",
    "linear_attn.in_proj_a": "l_lin_a", "linear_attn.out_proj": "l_lin_out",
    "conv.in_proj": "l_conv_in", "conv.out_proj": "l_conv_out",
    "experts.latent_in": "l_latent_in", "experts.latent_out": "l_latent_out",
    "project_in": "l_project_in", "project_out": "l_project_out",
}

#: The 3-d expert banks among the tensors of :data:`ROLES`.
EXPERT_BANK_NAMES: tuple[str, ...] = ("experts.gate_up", "experts.down")
#: Every role switch, in order (the setup gives each a 0/1 value).
LORA_ROLES: tuple[str, ...] = tuple(dict.fromkeys(ROLES.values()))


_ATTN = {"q_proj": ("attention.q",), "k_proj": ("attention.k",), "v_proj": ("attention.v",),
         "o_proj": ("attention.o",)}
_GLU = {"gate_proj": ("mlp.gate", "shared_expert.gate"), "up_proj": ("mlp.up", "shared_expert.up"),
        "down_proj": ("mlp.down", "shared_expert.down")}
_LLAMA = {**_ATTN, **_GLU}
_FUSED_QKV = {"query_key_value": ("attention.qkv",), "dense": ("attention.o",), "dense_h_to_4h": ("mlp.up",),
              "dense_4h_to_h": ("mlp.down",)}
_GPT2 = {"c_attn": ("attention.qkv",), "c_proj": ("attention.o", "mlp.down"), "c_fc": ("mlp.up",)}
#: The v4 names peft 0.21.2 converts to target_parameters (transformers' _MOE_TARGET_MODULE_MAPPING).
_QWEN2_MOE_NAMES = {"gate": ("router",), "gate_proj": ("experts.gate_up",), "up_proj": ("experts.gate_up",),
                    "down_proj": ("experts.down",)}
_MIXTRAL_NAMES = {"gate": ("router",), "w1": ("experts.gate_up",), "w3": ("experts.gate_up",),
                  "w2": ("experts.down",)}
_MAMBA = {"in_proj": ("mamba.in_proj",), "x_proj": ("mamba.x_proj",), "dt_proj": ("mamba.dt_proj",),
          "out_proj": ("mamba.out_proj",)}
_LATENT = {"q_proj": ("attention.q",), "q_a_proj": ("attention.q_a",), "q_b_proj": ("attention.q_b",),
           "kv_a_proj_with_mqa": ("attention.kv_a",), "kv_b_proj": ("attention.kv_b",), "o_proj": ("attention.o",)}
_DELTANET = {"in_proj_qkvz": ("linear_attn.in_proj_qkvz",), "in_proj_ba": ("linear_attn.in_proj_ba",),
             "in_proj_qkv": ("linear_attn.in_proj_qkv",), "in_proj_z": ("linear_attn.in_proj_z",),
             "in_proj_b": ("linear_attn.in_proj_b",), "in_proj_a": ("linear_attn.in_proj_a",),
             "out_proj": ("linear_attn.out_proj",)}

#: Module names as peft matches them (the last part of a module's name), by model type, and the tensors
#: each covers: every one that peft 0.21.2 adapts with ``all-linear`` (every linear layer but the output
#: layer; routers that are not nn.Linear modules are left out, as peft leaves them).
MODULES: dict[str, dict[str, tuple[str, ...]]] = {
    "gpt2": _GPT2, "gpt_bigcode": _GPT2,
    **{t: _LLAMA for t in ("llama", "mistral", "qwen2", "internlm3", "exaone", "granite", "smollm3", "seed_oss",
                           "ernie4_5", "ministral", "ministral3", "stablelm", "qwen3", "gemma", "gemma2",
                           "gemma3_text", "olmo", "olmo2", "olmo3", "cohere", "cohere2", "exaone4")},
    "mixtral": {**_ATTN, **_MIXTRAL_NAMES}, "minimax_m2": {**_ATTN, **_MIXTRAL_NAMES},
    **{t: _FUSED_QKV for t in ("gpt_neox", "bloom", "falcon")},
    "gptj": {"q_proj": ("attention.q",), "k_proj": ("attention.k",), "v_proj": ("attention.v",),
             "out_proj": ("attention.o",), "fc_in": ("mlp.up",), "fc_out": ("mlp.down",)},
    "mpt": {"Wqkv": ("attention.qkv",), "out_proj": ("attention.o",), "up_proj": ("mlp.up",),
            "down_proj": ("mlp.down",)},
    "phi": {"q_proj": ("attention.q",), "k_proj": ("attention.k",), "v_proj": ("attention.v",),
            "dense": ("attention.o",), "fc1": ("mlp.up",), "fc2": ("mlp.down",)},
    "phi3": {"qkv_proj": ("attention.qkv",), "o_proj": ("attention.o",), "gate_up_proj": ("mlp.gate_up",),
             "down_proj": ("mlp.down",)},
    "glm4": {**_ATTN, "gate_up_proj": ("mlp.gate_up",), "down_proj": ("mlp.down",)},
    "starcoder2": {**_ATTN, "c_fc": ("mlp.up",), "c_proj": ("mlp.down",)},
    "apertus": {**_ATTN, "up_proj": ("mlp.up",), "down_proj": ("mlp.down",)},
    "qwen2_moe": {**_LLAMA, "shared_expert_gate": ("shared_expert_gate",)},
    **{t: {**_ATTN, **_QWEN2_MOE_NAMES} for t in ("qwen3_moe", "olmoe", "glm4_moe", "ernie4_5_moe")},
    "phimoe": {**_ATTN, "router": ("router",)},
    "granitemoe": _ATTN, "gpt_oss": _ATTN,
    "llama4_text": {**_LLAMA, "router": ("router",)},
    "deepseek_v2": {**_LATENT, **_QWEN2_MOE_NAMES}, "deepseek_v3": {**_LATENT, **_QWEN2_MOE_NAMES},
    "mamba": _MAMBA, "mamba2": _MAMBA,
    "jamba": {**_LLAMA, **_MAMBA},
    "falcon_h1": {**_LLAMA, "in_proj": ("mamba.in_proj",), "out_proj": ("mamba.out_proj",)},
    "granitemoehybrid": {**_ATTN, "in_proj": ("mamba.in_proj",), "out_proj": ("mamba.out_proj",),
                         # its shared MLP: the table's shared expert, or its dense feed-forward block without experts
                         "input_linear": ("shared_expert.gate_up", "mlp.gate_up"),
                         "output_linear": ("shared_expert.down", "mlp.down")},
    "nemotron_h": {**_ATTN, "in_proj": ("mamba.in_proj",), "out_proj": ("mamba.out_proj",),
                   "up_proj": ("mlp.up", "shared_expert.up"), "down_proj": ("mlp.down", "shared_expert.down"),
                   "fc1_latent_proj": ("experts.latent_in",), "fc2_latent_proj": ("experts.latent_out",)},
    "qwen3_next": {**_ATTN, **_QWEN2_MOE_NAMES, **{k: v for k, v in _DELTANET.items() if k in (
        "in_proj_qkvz", "in_proj_ba", "out_proj")}, "shared_expert_gate": ("shared_expert_gate",)},
    "qwen3_5_text": {**_LLAMA, **{k: v for k, v in _DELTANET.items() if k not in ("in_proj_qkvz", "in_proj_ba")}},
    "lfm2": {"q_proj": ("attention.q",), "k_proj": ("attention.k",), "v_proj": ("attention.v",),
             "out_proj": ("attention.o", "conv.out_proj"), "in_proj": ("conv.in_proj",), "w1": ("mlp.gate",),
             "w3": ("mlp.up",), "w2": ("mlp.down",)},
    "opt": {"q_proj": ("attention.q",), "k_proj": ("attention.k",), "v_proj": ("attention.v",),
            "out_proj": ("attention.o",), "fc1": ("mlp.up",), "fc2": ("mlp.down",), "project_in": ("project_in",),
            "project_out": ("project_out",)},
}
#: Model types whose 3-d experts and router peft 0.21.2 adapts as parameters (its
#: _MODEL_TO_CONVERSION_PATTERN entries with a MoE mapping), and the v4 projections fused into each bank.
PEFT_MOE_CONVERSION: dict[str, dict[str, tuple[str, ...]]] = {
    **{t: {"gate_up_proj": ("w1", "w3")} for t in ("mixtral", "minimax_m2")},
    **{t: {"gate_up_proj": ("gate_proj", "up_proj")} for t in ("qwen3_moe", "olmoe", "glm4_moe", "ernie4_5_moe",
                                                             "deepseek_v2", "deepseek_v3", "qwen3_next")},
}
#: Model types peft treats as Mamba-based: it refuses to adapt ``out_proj`` and ``conv1d`` there.
PEFT_MAMBA: frozenset[str] = frozenset({"falcon_h1", "mamba", "mamba2", "nemotron_h"})
#: Model types whose router is an nn.Linear module (peft adapts it as one, bitsandbytes would pack it; the
#: quantized terms keep every router in 16 bits, as transformers 5 stores the others' as a parameter).
LINEAR_ROUTERS: frozenset[str] = frozenset(
    t for t, modules in MODULES.items() if t not in PEFT_MOE_CONVERSION and ("router",) in modules.values())
