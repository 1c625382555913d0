"""The book's symbol table: one SymPy symbol per quantity, one meaning per symbol.

The article this book corrects uses ``N`` both for the number of layers and for
the number of parameters, and writes the hidden size as ``d_model`` in one
section and ``H`` in another.  Here every quantity has exactly one name:

* ``L`` is the number of Transformer layers and ``N`` the number of parameters;
* ``d_model`` is the hidden size everywhere (the article's ``H``);
* ``E`` abbreviates ``B*S*d_model``, the number of *elements* (not bytes) of one
  activation tensor of width ``d_model``.

Besides the sizes, the package's accounting has *switches*: symbols that are 0
or 1 and select the pieces a layout or a setup has (a bias, autocast, the fused
attention kernel).  A real configuration gives every switch a value; a chapter
substitutes a few of them to show one specialisation of a formula.

The notation page of the book (``book/notation``) is rendered from
:data:`NOTATION`, so the page and the package cannot disagree.  Every symbol's
name is a Python identifier: the generated evaluators (:mod:`everybyte.codegen`)
use the names as variables.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

_COUNT = {"positive": True, "integer": True}
_SWITCH = {"nonnegative": True, "integer": True}

# Architecture
V = sp.Symbol("V", **_COUNT)
d_model = sp.Symbol("d_model", **_COUNT)
d_ff = sp.Symbol("d_ff", **_COUNT)
h = sp.Symbol("h", **_COUNT)
L = sp.Symbol("L", **_COUNT)
P = sp.Symbol("P", **_COUNT)
N = sp.Symbol("N", **_COUNT)

# Architecture of real models (chapter 12): grouped-query attention, explicit
# head width, mixtures of experts.
h_kv = sp.Symbol("h_kv", **_COUNT)
d_head = sp.Symbol("d_head", **_COUNT)
n_experts = sp.Symbol("n_experts", **_COUNT)
k_experts = sp.Symbol("k_experts", **_COUNT)
#: Channels of each head that rotary embeddings turn (GPT-NeoX: a quarter).
d_rot = sp.Symbol("d_rot", **_SWITCH)

# Layout switches of the general formula (chapter 12): each is 0 or 1, except
# norm_width, the parameters per channel of a norm (2 for LayerNorm, 1 for RMSNorm).
bias_qkv = sp.Symbol("beta_qkv", **_SWITCH)
bias_o = sp.Symbol("beta_o", **_SWITCH)
bias_ff = sp.Symbol("beta_ff", **_SWITCH)
gated = sp.Symbol("gamma", **_SWITCH)
norm_width = sp.Symbol("nu", **_COUNT)
router = sp.Symbol("rho", **_SWITCH)
learned_positions = sp.Symbol("pi", **_SWITCH)
final_norm = sp.Symbol("phi", **_SWITCH)
untied = sp.Symbol("tau", **_SWITCH)
#: 1 where the real code stores q, k and v as one fused matrix (GPT-2, GPT-NeoX):
#: the count is the same, the number of tensors is not.
fused_qkv = sp.Symbol("f_qkv", **_SWITCH)
#: 1 where the experts of a layer are stored as 3-d tensors (transformers 5 Mixtral).
fused_experts = sp.Symbol("f_exp", **_SWITCH)
#: 1 for GPT-NeoX's parallel residual (attention and feed-forward read the same input).
parallel_residual = sp.Symbol("x_par", **_SWITCH)
#: 1 when several query heads share one key/value head (the B = 1 views of chapter 13).
one_kv_head = sp.Symbol("x_kv1", **_SWITCH)
#: 1 where attention scores, and where the logits, pass through a tanh soft cap (Gemma 2).
attention_softcap = sp.Symbol("x_acap", **_SWITCH)
logit_softcap = sp.Symbol("x_lcap", **_SWITCH)
#: Tensors of width d_ff the feed-forward activation saves (gelu_new: 4, gelu: 1).
n_act = sp.Symbol("n_act", **_SWITCH)

# The architecture zoo (chapter 14): layers of several kinds, and what their
# tensors need.  Counts of layers of a kind may be 0 (nonnegative); the windows
# are 0 when a model has none.
#: Layers by token mixer: softmax attention of any window, then by window.
L_attn = sp.Symbol("L_attn", **_SWITCH)
L_full = sp.Symbol("L_full", **_SWITCH)
L_slide = sp.Symbol("L_slide", **_SWITCH)
L_chunk = sp.Symbol("L_chunk", **_SWITCH)
#: Sliding-window width and attention-chunk length in tokens (0: none).
w_slide = sp.Symbol("w_slide", **_SWITCH)
w_chunk = sp.Symbol("w_chunk", **_SWITCH)
#: Layers whose mixer is a Mamba state-space mixer, a gated DeltaNet (linear
#: attention) or a short convolution (LFM2).
L_ssm = sp.Symbol("L_ssm", **_SWITCH)
L_lin = sp.Symbol("L_lin", **_SWITCH)
L_conv = sp.Symbol("L_conv", **_SWITCH)
#: Layers by feed-forward block: a mixture of experts, or one dense MLP.
L_moe = sp.Symbol("L_moe", **_SWITCH)
L_ff = sp.Symbol("L_ff", **_SWITCH)
#: Norms of width d_model in each layer (1 to 4).
n_norm = sp.Symbol("n_norm", **_SWITCH)
#: Width of one routed expert, and of the shared expert(s) (0: none).
d_expert = sp.Symbol("d_expert", **_COUNT)
d_shared = sp.Symbol("d_shared", **_SWITCH)
#: 1 where MoE layers have a shared expert (its tensors exist even of width 0).
shared_expert = sp.Symbol("x_shexp", **_SWITCH)
#: 1 where a sigmoid gate scales the shared expert (Qwen2-MoE).
shared_gate = sp.Symbol("x_shgate", **_SWITCH)
#: 1 where the routed experts have biases (gpt-oss).
bias_experts = sp.Symbol("beta_exp", **_SWITCH)
#: 1 where the router has a bias (gpt-oss).
bias_router = sp.Symbol("beta_router", **_SWITCH)
#: 1 where the output layer has a bias (GPT-J, Phi).
bias_lm = sp.Symbol("beta_lm", **_SWITCH)
#: Norms of q and k inside attention: 1 for one d_head norm shared by the heads
#: (Qwen3, Gemma 3), for norms over all the heads' channels (OLMo 2), for one
#: norm per head (StableLM); 1 where these norms have a shift (Phi).
qk_norm_head = sp.Symbol("x_qkh", **_SWITCH)
qk_norm_full = sp.Symbol("x_qkf", **_SWITCH)
qk_norm_each = sp.Symbol("x_qks", **_SWITCH)
qk_norm_shift = sp.Symbol("x_qkb", **_SWITCH)
#: 1 where full-width q/k norms are stored as (heads, d_head) matrices (Cohere), 0 as vectors (OLMo 2).
qk_norm_rows = sp.Symbol("x_qk2d", **_SWITCH)
#: 1 where the gate and up projections are one fused matrix (Phi-3, GLM-4).
fused_gate_up = sp.Symbol("f_gu", **_SWITCH)
#: Learnable parameters of the feed-forward activation per layer (Apertus's xIELU: 2).
n_act_params = sp.Symbol("n_actp", **_SWITCH)
#: 1 where each attention head has a learned sink logit (gpt-oss).
sinks = sp.Symbol("x_sink", **_SWITCH)
#: 1 where the router's expert-score correction is a parameter (ERNIE 4.5; a buffer in DeepSeek-V3).
router_score_bias = sp.Symbol("x_rscore", **_SWITCH)
#: 1 where the embeddings are normalised before the first layer (BLOOM, LFM2).
embedding_norm = sp.Symbol("x_embnorm", **_SWITCH)
#: OPT: width of the word embeddings (d_emb) and 1 where it differs from d_model
#: (then two projections map between the widths).
d_emb = sp.Symbol("d_emb", **_COUNT)
embedding_projection = sp.Symbol("x_proj", **_SWITCH)
#: 1 where norms have a scale, and where they have a shift (OPT's
#: layer_norm_elementwise_affine switches both off).
norm_scale = sp.Symbol("x_nw", **_SWITCH)
norm_shift = sp.Symbol("x_nb", **_SWITCH)
#: Multi-head latent attention (DeepSeek-V2/V3): the query and key-value
#: ranks, the head widths without and with rotary, the value head width, and
#: 1 where the query is compressed (r_q > 0).
r_q = sp.Symbol("r_q", **_SWITCH)
r_kv = sp.Symbol("r_kv", **_COUNT)
d_nope = sp.Symbol("d_nope", **_SWITCH)
d_rope = sp.Symbol("d_rope", **_SWITCH)
d_v = sp.Symbol("d_v", **_COUNT)
q_compressed = sp.Symbol("x_qc", **_SWITCH)
#: Mamba mixers: inner width, state size, convolution kernel, heads (Mamba-2),
#: groups of B and C (Mamba-2), rank of the time-step projection (Mamba-1),
#: and 1 where the convolution, the projections, the gated norm have a bias/exist.
d_inner = sp.Symbol("d_inner", **_COUNT)
d_state = sp.Symbol("d_state", **_COUNT)
d_conv = sp.Symbol("d_conv", **_COUNT)
h_ssm = sp.Symbol("h_ssm", **_COUNT)
g_ssm = sp.Symbol("g_ssm", **_COUNT)
r_dt = sp.Symbol("r_dt", **_COUNT)
bias_conv = sp.Symbol("beta_conv", **_SWITCH)
bias_ssm = sp.Symbol("beta_ssm", **_SWITCH)
ssm_norm = sp.Symbol("x_ssmnorm", **_SWITCH)
#: 1 for Mamba-2 mixers (heads, groups, a gated norm), 0 for Mamba-1 (time-step
#: rank); 1 where Mamba-1 normalises its time step, B and C (Jamba); 1 where the
#: out projection has a bias of its own switch (Falcon-H1's projectors_bias).
mamba2 = sp.Symbol("x_m2", **_SWITCH)
ssm_time_step_norms = sp.Symbol("x_dtn", **_SWITCH)
bias_ssm_out = sp.Symbol("beta_ssmo", **_SWITCH)
#: 1 where the query projection also produces an output gate (Qwen3-Next, Qwen3.5: 2 h d_head).
query_gate = sp.Symbol("x_qgate", **_SWITCH)
#: 1 where a gated DeltaNet fuses its input projections (Qwen3-Next) rather than splitting them (Qwen3.5).
fused_deltanet = sp.Symbol("f_lin", **_SWITCH)
#: Nemotron-H: width the experts work in (moe_latent_size; d_model without one) and 1 where
#: projections map d_model to it and back.
d_lat = sp.Symbol("d_lat", **_COUNT)
latent_experts = sp.Symbol("x_lat", **_SWITCH)
#: Gated DeltaNet (Qwen3-Next, Qwen3.5): key and value heads and their widths.
h_lk = sp.Symbol("h_lk", **_COUNT)
h_lv = sp.Symbol("h_lv", **_COUNT)
d_lk = sp.Symbol("d_lk", **_COUNT)
d_lv = sp.Symbol("d_lv", **_COUNT)
#: Per-layer input embeddings (Gemma 3n, Gemma 4): their vocabulary and width.
V_ple = sp.Symbol("V_ple", **_SWITCH)
d_ple = sp.Symbol("d_ple", **_SWITCH)
#: Positions a model precomputes a buffer for (GPT-J's sin/cos table, GPT-BigCode's causal mask).
P_max = sp.Symbol("P_max", **_SWITCH)
#: Buffers (chapter 14): sets of rotary frequencies (0 without rotary, 2 with
#: separate full and sliding rotaries), and 1 where the model keeps GPT-J's
#: sin/cos table, GPT-BigCode's boolean causal mask, Gemma's embedding scale,
#: DeepSeek-V3's expert-score correction; constant scalars per layer (Apertus).
n_rot = sp.Symbol("n_rot", **_SWITCH)
sincos_table = sp.Symbol("x_sincos", **_SWITCH)
causal_mask = sp.Symbol("x_mask", **_SWITCH)
embedding_scale = sp.Symbol("x_escale", **_SWITCH)
score_correction = sp.Symbol("x_escore", **_SWITCH)
n_layer_scalars = sp.Symbol("n_lscal", **_SWITCH)
mup_vector = sp.Symbol("x_mup", **_SWITCH)

# Workload
B = sp.Symbol("B", **_COUNT)
S = sp.Symbol("S", **_COUNT)

# Storage
b_param = sp.Symbol("b_param", positive=True, rational=True)

# Setup switches (chapters 8 and 13): how a training step runs.
#: 1 under 16-bit autocast (bf16 or fp16, fp32 weights), 0 in fp32.
autocast = sp.Symbol("x_auto", **_SWITCH)
#: 1 for PyTorch's scaled_dot_product_attention, 0 for eager attention.
sdpa = sp.Symbol("x_sdpa", **_SWITCH)
#: 1 on a CUDA device (1-byte dropout masks, fused kernels with dropout), 0 on the CPU.
cuda = sp.Symbol("x_cuda", **_SWITCH)
#: 1 when the config's embedding, attention or residual dropout probability is above 0.
dropout_embedding = sp.Symbol("p_embd", **_SWITCH)
dropout_attention = sp.Symbol("p_attn", **_SWITCH)
dropout_residual = sp.Symbol("p_resid", **_SWITCH)
#: Bytes per element of the residual stream and of the softmax output: 4 in every
#: setup transformers runs; Megatron-style 16-bit training (chapter 8) has 2.
b_res = sp.Symbol("b_res", **_COUNT)
b_soft = sp.Symbol("b_soft", **_COUNT)
#: Bytes per element of the weights, the KV cache and the logits when the model
#: runs in the setup's dtype (4 for fp32, 2 for bf16 and fp16).
b_dtype = sp.Symbol("b_dtype", **_COUNT)
#: Optimizer (chapter 13): state bytes per parameter, bytes per parameter tensor
#: (AdamW's step counter), and temporaries of the largest tensor during the update.
b_opt = sp.Symbol("b_opt", **_SWITCH)
b_opt_tensor = sp.Symbol("b_opt_tensor", **_SWITCH)
n_opt_temporaries = sp.Symbol("n_opt_tmp", **_SWITCH)

# Compute and time (the chapter "Compute and time"; its tokens are D_train, below)
#: Peak dense FLOP/s of one device in the setup's dtype, and its memory bandwidth (bytes/s).
F_peak = sp.Symbol("F_peak", **_COUNT)
W_bandwidth = sp.Symbol("W_bw", **_COUNT)
#: Devices a run uses, and the model FLOPs utilisation it reaches, in basis points (4000 = 40 %).
n_devices = sp.Symbol("n_devices", **_COUNT)
mfu_bp = sp.Symbol("mfu_bp", **_COUNT)
# Serving (chapter 16): the KV cache as a library holds it, and the weights' format.
#: Bytes per element of a floating-point KV cache (the setup's dtype unless --kv-dtype says otherwise).
b_kv = sp.Symbol("b_kv", **_COUNT)
#: Bits per cached value of a quantized KV cache (transformers' QuantizedCache: 2 or 4); 0 for a float cache.
kv_bits = sp.Symbol("kv_bits", **_SWITCH)
#: Cached values sharing one scale and one zero point in a quantized KV cache.
g_kv = sp.Symbol("g_kv", **_COUNT)
#: Tokens a quantized KV cache keeps in full precision before it quantizes them (residual_length).
R_kv = sp.Symbol("R_kv", **_COUNT)
#: How the cache is allocated: 0 grown token by token (DynamicCache), 1 pre-allocated to
#: S_max tokens (StaticCache), 2 in blocks of n_block tokens (vLLM's paged cache).
kv_kind = sp.Symbol("kv_kind", **_SWITCH)
#: Tokens a static cache is allocated for (max_cache_len).
S_max = sp.Symbol("S_max", **_COUNT)
#: Tokens per block of a paged KV cache (vLLM's block_size).
n_block = sp.Symbol("n_block", **_COUNT)
#: Format of the weights when serving: 0 the setup's dtype, else the index of a quantized format
#: in everybyte.knobs.WEIGHT_FORMATS.
w_fmt = sp.Symbol("w_fmt", **_SWITCH)

# Fine-tuning (chapter 17): LoRA adapters on the linear layers.
#: Rank of every LoRA adapter.
r_lora = sp.Symbol("r_lora", **_COUNT)
#: 1 where LoRA adapts that kind of linear layer (q, k, v, fused qkv, attention output, gate, up,
#: down, the router of a mixture of experts, the 3-d expert tensors), else 0.
lora_q = sp.Symbol("l_q", **_SWITCH)
lora_k = sp.Symbol("l_k", **_SWITCH)
lora_v = sp.Symbol("l_v", **_SWITCH)
lora_qkv = sp.Symbol("l_qkv", **_SWITCH)
lora_o = sp.Symbol("l_o", **_SWITCH)
lora_gate = sp.Symbol("l_gate", **_SWITCH)
lora_up = sp.Symbol("l_up", **_SWITCH)
lora_down = sp.Symbol("l_down", **_SWITCH)
lora_router = sp.Symbol("l_router", **_SWITCH)
lora_experts = sp.Symbol("l_experts", **_SWITCH)
#: The other kinds of linear layer of chapter 14's families, by switch name: what each one adapts
#: (everybyte.linears maps every family's tensors to these roles and peft's module names to them).
LORA_MORE_ROLES: dict[str, tuple[str, str]] = {
    "l_experts_down": ("expert down", "the 3-d expert down tensors (peft's target_parameters)"),
    "l_gate_up": ("gate_up", "fused gate and up projections (gate_up_proj)"),
    "l_q_a": ("q_a", "latent attention's query down projections (q_a_proj)"),
    "l_q_b": ("q_b", "latent attention's query up projections (q_b_proj)"),
    "l_kv_a": ("kv_a", "latent attention's key-value down projections (kv_a_proj_with_mqa)"),
    "l_kv_b": ("kv_b", "latent attention's key-value up projections (kv_b_proj)"),
    "l_shared_gate": ("shared gate", "the shared experts' gate projections"),
    "l_shared_up": ("shared up", "the shared experts' up projections"),
    "l_shared_down": ("shared down", "the shared experts' down projections"),
    "l_shared_gate_up": ("shared gate_up", "the shared experts' fused gate and up projections"),
    "l_shared_expert_gate": ("shared-expert gate", "the shared expert's sigmoid gate (shared_expert_gate)"),
    "l_ssm_in": ("ssm in", "the Mamba mixers' input projections (in_proj)"),
    "l_ssm_x": ("ssm x", "Mamba-1's time-step and B, C projections (x_proj)"),
    "l_ssm_dt": ("ssm dt", "Mamba-1's time-step expansions (dt_proj)"),
    "l_ssm_out": ("ssm out", "the Mamba mixers' output projections (out_proj)"),
    "l_lin_qkvz": ("DeltaNet qkvz", "the gated DeltaNet's fused q, k, v, z projections (in_proj_qkvz)"),
    "l_lin_ba": ("DeltaNet ba", "the gated DeltaNet's fused b, a projections (in_proj_ba)"),
    "l_lin_qkv": ("DeltaNet qkv", "the gated DeltaNet's q, k, v projections (in_proj_qkv)"),
    "l_lin_z": ("DeltaNet z", "the gated DeltaNet's output-gate projections (in_proj_z)"),
    "l_lin_b": ("DeltaNet b", "the gated DeltaNet's write-strength projections (in_proj_b)"),
    "l_lin_a": ("DeltaNet a", "the gated DeltaNet's decay projections (in_proj_a)"),
    "l_lin_out": ("DeltaNet out", "the gated DeltaNet's output projections (out_proj)"),
    "l_conv_in": ("conv in", "LFM2's short-convolution input projections (in_proj)"),
    "l_conv_out": ("conv out", "LFM2's short-convolution output projections (out_proj)"),
    "l_latent_in": ("latent in", "Nemotron-H's projections to the experts' latent width (fc1_latent_proj)"),
    "l_latent_out": ("latent out", "Nemotron-H's projections back from the latent width (fc2_latent_proj)"),
    "l_project_in": ("project_in", "OPT's projection of the word embeddings into d_model"),
    "l_project_out": ("project_out", "OPT's projection from d_model back to the word-embedding width"),
}
LORA_MORE_SYMBOLS: dict[str, sp.Symbol] = {name: sp.Symbol(name, **_SWITCH) for name in LORA_MORE_ROLES}
#: 1 for DoRA (a magnitude vector per adapted layer), 0 for plain LoRA.
dora = sp.Symbol("x_dora", **_SWITCH)
#: 1 when the frozen base is stored in NF4 (QLoRA), 0 when it is in the setup's dtype.
qlora = sp.Symbol("x_qlora", **_SWITCH)
#: 1 when the optimizer states are paged (bitsandbytes' paged optimizers: unified memory that
#: the driver moves to CPU RAM under pressure), 0 when they stay on the card.
paged_optimizer = sp.Symbol("x_paged", **_SWITCH)

# Parallelism and other techniques
t = sp.Symbol("t", **_COUNT)
N_d = sp.Symbol("N_d", **_COUNT)
N_student = sp.Symbol("N_student", **_COUNT)
N_teacher = sp.Symbol("N_teacher", **_COUNT)
g = sp.Symbol("g", **_COUNT)
density = sp.Symbol("density", positive=True)

# Training across devices (chapter "Training across many devices", everybyte.parallel).
#: Pipeline stages, context-parallel and expert-parallel degrees, micro-batches per
#: optimizer step, model chunks per pipeline stage (interleaved schedule).
N_pp = sp.Symbol("N_pp", **_COUNT)
N_cp = sp.Symbol("N_cp", **_COUNT)
N_ep = sp.Symbol("N_ep", **_COUNT)
n_micro = sp.Symbol("n_micro", **_COUNT)
n_virtual = sp.Symbol("n_virtual", **_COUNT)
#: The rank a per-device term is evaluated for: its data-parallel index and its pipeline stage.
i_dp = sp.Symbol("i_dp", **_SWITCH)
i_pp = sp.Symbol("i_pp", **_SWITCH)
#: ZeRO switches: 1 when optimizer states (stage 1), gradients (2), parameters (3) are sharded.
zero_1 = sp.Symbol("z_1", **_SWITCH)
zero_2 = sp.Symbol("z_2", **_SWITCH)
zero_3 = sp.Symbol("z_3", **_SWITCH)
#: 1 when FSDP frees each layer's gathered parameters after its forward (reshard_after_forward).
reshard = sp.Symbol("x_reshard", **_SWITCH)
#: Bytes per element of gathered (unsharded) parameters: 4, or 2 under a bf16 mixed-precision policy.
b_gather = sp.Symbol("b_gather", **_COUNT)
#: 1 with sequence parallelism (Korthikanti et al.): the replicated activations of a layer split over t.
sequence_parallel = sp.Symbol("x_sp", **_SWITCH)
#: Activation recomputation: full (each layer's input only), selective (the attention core).
recompute_full = sp.Symbol("r_full", **_SWITCH)
recompute_selective = sp.Symbol("r_sel", **_SWITCH)
#: Pipeline schedules: GPipe (all micro-batches in flight) and interleaved 1F1B; 1F1B when both are 0.
gpipe = sp.Symbol("x_gpipe", **_SWITCH)
interleaved = sp.Symbol("x_interleaved", **_SWITCH)
#: 1 when the optimizer states live in host memory (optimizer offload).
offload = sp.Symbol("x_offload", **_SWITCH)
#: 1 for bitsandbytes' blockwise 8-bit AdamW (AdamW8bit).
adamw_8bit = sp.Symbol("x_opt8", **_SWITCH)

# Scaling laws
alpha = sp.Symbol("alpha", positive=True)
gain = sp.Symbol("gain", positive=True)
#: Tokens a model is trained on (chapter 9's compute budget ``6 N D_train``; the
#: training runs of the chapter "Compute and time").
D_train = sp.Symbol("D_train", positive=True, integer=True)

#: The article's own "input dimension" ``D`` in its ``8BD`` (chapter 7 shows it
#: can only be the sequence length ``S``).  Named apart from ``D_train``: the
#: article's letter, kept only to quote the article.
D_article = sp.Symbol("D_article", positive=True, integer=True)

#: Abbreviation used by the article and by Korthikanti et al.: elements of one
#: (B, S, d_model) activation.  Formulas in the package are written in the base
#: symbols; :func:`in_terms_of_E` rewrites them for display.
E = sp.Symbol("E", **_COUNT)
E_elements = B * S * d_model


def in_terms_of_E(expr: sp.Expr) -> sp.Expr:
    """Rewrite ``expr`` with ``B*S*d_model`` replaced by ``E`` (for display only)."""
    return sp.expand(expr).subs(E_elements, E)


@dataclass(frozen=True)
class Notation:
    symbol: sp.Symbol
    code_name: str
    meaning: str


#: Every symbol of the book, in the order of the notation page.
NOTATION: tuple[Notation, ...] = (
    Notation(V, "vocab_size", "vocabulary size: rows of the token-embedding table"),
    Notation(d_model, "d_model", "hidden size, the width of the residual stream (the article's H)"),
    Notation(d_ff, "d_ff", "width of the feed-forward layer's hidden activation, usually 4 d_model"),
    Notation(h, "n_heads", "number of attention heads; each has width d_model / h"),
    Notation(L, "n_layers", "number of Transformer layers (the article sometimes writes N)"),
    Notation(P, "n_positions", "number of learned position embeddings (context length of GPT-2/GPT-3)"),
    Notation(N, "total parameters", "number of parameters of the whole model (never the layer count)"),
    Notation(h_kv, "n_kv_heads", "key/value heads under grouped-query attention (h_kv = h without it)"),
    Notation(d_head, "head_dim", "width of one attention head (d_model / h unless a config says otherwise)"),
    Notation(d_rot, "rotary channels", "channels of each head that rotary position embeddings turn"),
    Notation(n_experts, "n_experts", "feed-forward experts per layer in a mixture of experts (1 for a dense model)"),
    Notation(k_experts, "experts_per_token", "experts each token is routed through (the only k of the book)"),
    Notation(bias_qkv, "qkv bias", "1 if the query, key and value projections have biases, else 0"),
    Notation(bias_o, "output bias", "1 if the attention output projection has a bias, else 0"),
    Notation(bias_ff, "mlp bias", "1 if the feed-forward layers have biases, else 0"),
    Notation(gated, "gated", "1 for a gated feed-forward layer (SwiGLU: gate, up, down), 0 for a plain one"),
    Notation(norm_width, "norm parameters per channel", "2 for LayerNorm (scale and shift), 1 for RMSNorm (scale)"),
    Notation(router, "router", "1 if a mixture-of-experts router is present, else 0"),
    Notation(learned_positions, "learned positions", "1 for a learned position table (GPT-2), 0 for rotary positions"),
    Notation(final_norm, "final norm", "1 if a norm follows the last layer, else 0"),
    Notation(untied, "untied", "1 if the output layer has its own matrix, 0 if it reuses the embedding"),
    Notation(fused_qkv, "fused qkv", "1 if q, k and v are stored as one matrix (GPT-2, GPT-NeoX), else 0"),
    Notation(fused_experts, "fused experts", "1 if a layer's experts are stored as 3-d tensors, else 0"),
    Notation(parallel_residual, "parallel residual", "1 if attention and feed-forward read the same input (GPT-NeoX)"),
    Notation(one_kv_head, "one KV head", "1 if several query heads share a single key/value head, else 0"),
    Notation(attention_softcap, "attention soft cap", "1 if attention scores pass through a tanh soft cap"),
    Notation(logit_softcap, "logit soft cap", "1 if the logits pass through a tanh soft cap"),
    Notation(n_act, "activation tensors", "tensors of width d_ff the activation saves (gelu_new 4, gelu 1)"),
    Notation(L_attn, "attention layers", "layers whose token mixer is softmax attention (L without a hybrid stack)"),
    Notation(L_full, "full-attention layers", "attention layers that see the whole sequence"),
    Notation(L_slide, "sliding-window layers", "attention layers that see the last w_slide tokens"),
    Notation(L_chunk, "chunked-attention layers", "attention layers that see their chunk of w_chunk tokens (Llama 4)"),
    Notation(w_slide, "sliding window", "tokens a sliding-window layer attends to (0: none)"),
    Notation(w_chunk, "attention chunk", "tokens of one attention chunk (0: none)"),
    Notation(L_ssm, "Mamba layers", "layers whose token mixer is a Mamba state-space mixer"),
    Notation(L_lin, "linear-attention layers", "layers whose token mixer is a gated DeltaNet"),
    Notation(L_conv, "convolution layers", "layers whose token mixer is a short gated convolution (LFM2)"),
    Notation(L_moe, "MoE layers", "layers whose feed-forward block is a mixture of experts"),
    Notation(L_ff, "dense layers", "layers whose feed-forward block is one dense MLP"),
    Notation(n_norm, "norms per layer", "norms of width d_model in each layer (1 to 4)"),
    Notation(d_expert, "moe_intermediate_size", "hidden width of one routed expert"),
    Notation(d_shared, "shared expert width", "hidden width of the always-active shared expert(s), 0 for none"),
    Notation(shared_expert, "shared expert", "1 if each MoE layer has an always-active shared expert, else 0"),
    Notation(shared_gate, "shared-expert gate", "1 if a sigmoid gate of width 1 scales the shared expert"),
    Notation(bias_experts, "expert biases", "1 if the routed experts' projections have biases, else 0"),
    Notation(bias_router, "router bias", "1 if the router has a bias, else 0"),
    Notation(bias_lm, "output-layer bias", "1 if the output layer has a bias, else 0"),
    Notation(qk_norm_head, "q/k norm per head", "1 if one d_head norm of q and one of k serve every head"),
    Notation(qk_norm_full, "q/k norm, full width", "1 if q and k are normalised over all their heads' channels"),
    Notation(qk_norm_each, "q/k norm of each head", "1 if every q and k head has a d_head norm of its own"),
    Notation(qk_norm_shift, "q/k norm shift", "1 if the q/k norms have a shift (bias), else 0"),
    Notation(qk_norm_rows, "q/k norm rows", "1 if full-width q/k norms are (heads, d_head) matrices (Cohere)"),
    Notation(fused_gate_up, "fused gate and up", "1 if the gate and up projections are one matrix, else 0"),
    Notation(n_act_params, "activation parameters", "learnable parameters of the activation per layer"),
    Notation(sinks, "attention sinks", "1 if every head has a learned sink logit, else 0"),
    Notation(router_score_bias, "router score bias", "1 if the router's expert-score correction is a parameter"),
    Notation(embedding_norm, "embedding norm", "1 if a norm follows the token embedding, else 0"),
    Notation(d_emb, "word_embed_proj_dim", "width of OPT's word embeddings (d_model unless projected)"),
    Notation(embedding_projection, "embedding projections", "1 if projections map d_emb to d_model and back"),
    Notation(norm_scale, "norm scale", "1 if the norms have a scale (weight), else 0"),
    Notation(norm_shift, "norm shift", "1 if the norms have a shift (bias), else 0"),
    Notation(r_q, "q_lora_rank", "rank of the compressed query of latent attention (0: not compressed)"),
    Notation(r_kv, "kv_lora_rank", "rank of the compressed keys and values of latent attention"),
    Notation(d_nope, "qk_nope_head_dim", "channels of a latent-attention head without rotary"),
    Notation(d_rope, "qk_rope_head_dim", "channels of a latent-attention head with rotary (shared by the heads)"),
    Notation(d_v, "v_head_dim", "width of a latent-attention value head"),
    Notation(q_compressed, "compressed query", "1 if the query passes through the rank-r_q bottleneck"),
    Notation(d_inner, "Mamba inner width", "width of a Mamba mixer inside its projections (expand d_model)"),
    Notation(d_state, "state size", "state channels per inner channel (Mamba-1) or per group (Mamba-2)"),
    Notation(d_conv, "conv kernel", "width of the causal convolution of a Mamba or DeltaNet mixer"),
    Notation(h_ssm, "Mamba-2 heads", "heads of a Mamba-2 mixer (one decay and one skip each)"),
    Notation(g_ssm, "Mamba-2 groups", "groups sharing the B and C projections of a Mamba-2 mixer"),
    Notation(r_dt, "time-step rank", "rank of the time-step projection of a Mamba-1 mixer"),
    Notation(bias_conv, "conv bias", "1 if the mixer's convolution has a bias, else 0"),
    Notation(bias_ssm, "Mamba projection bias", "1 if the mixer's in and out projections have biases, else 0"),
    Notation(ssm_norm, "Mamba-2 gated norm", "1 if the Mamba-2 mixer has its gated RMSNorm, else 0"),
    Notation(mamba2, "Mamba-2", "1 if the Mamba mixers are Mamba-2 (heads and groups), 0 for Mamba-1"),
    Notation(ssm_time_step_norms, "time-step norms", "1 if a Mamba-1 mixer normalises its time step, B and C (Jamba)"),
    Notation(bias_ssm_out, "Mamba out bias", "1 if the Mamba mixer's out projection has a bias, else 0"),
    Notation(query_gate, "query gate", "1 if the query projection also produces a sigmoid output gate"),
    Notation(fused_deltanet, "fused DeltaNet projections", "1 if a gated DeltaNet fuses its input projections"),
    Notation(d_lat, "moe_latent_size", "width the routed experts work in (d_model without a latent)"),
    Notation(latent_experts, "latent experts", "1 if projections map d_model to the experts' latent width and back"),
    Notation(h_lk, "DeltaNet key heads", "key (and query) heads of a gated DeltaNet"),
    Notation(h_lv, "DeltaNet value heads", "value heads of a gated DeltaNet"),
    Notation(d_lk, "DeltaNet key width", "width of a gated-DeltaNet key head"),
    Notation(d_lv, "DeltaNet value width", "width of a gated-DeltaNet value head"),
    Notation(V_ple, "per-layer vocabulary", "rows of the per-layer input embedding (Gemma 3n, Gemma 4)"),
    Notation(d_ple, "per-layer input width", "width of the per-layer input of each layer (0: none)"),
    Notation(P_max, "max_position_embeddings", "positions a model precomputes a buffer for (GPT-J, GPT-BigCode)"),
    Notation(n_rot, "rotary sets", "sets of rotary frequencies the model keeps (0, 1, or 2 for full and sliding)"),
    Notation(sincos_table, "sin/cos table", "1 if the model keeps a precomputed sin/cos table (GPT-J)"),
    Notation(causal_mask, "causal mask", "1 if the model keeps a boolean causal mask buffer (GPT-BigCode)"),
    Notation(embedding_scale, "embedding scale", "1 if the model keeps its embedding scale as a buffer (Gemma)"),
    Notation(score_correction, "score correction buffer", "1 if each MoE layer keeps an expert-score correction buffer"),
    Notation(n_layer_scalars, "layer scalars", "constant fp32 scalars each layer keeps as buffers"),
    Notation(mup_vector, "muP vector", "1 if each Mamba mixer keeps Falcon-H1's muP multipliers as a buffer"),
    Notation(B, "batch", "batch size: sequences per optimizer step"),
    Notation(S, "seq", "sequence length in tokens"),
    Notation(E, "E", "B S d_model: elements (not bytes) of one activation tensor of width d_model"),
    Notation(b_param, "bytes per parameter", "bytes used to store one parameter in a given dtype"),
    Notation(b_dtype, "bytes of the dtype", "bytes per element of the setup's dtype: 4 for fp32, 2 for bf16/fp16"),
    Notation(autocast, "autocast", "1 under 16-bit autocast with fp32 weights, 0 in fp32"),
    Notation(sdpa, "sdpa", "1 for scaled_dot_product_attention, 0 for eager attention"),
    Notation(cuda, "cuda", "1 on a CUDA device, 0 on the CPU"),
    Notation(dropout_embedding, "embedding dropout", "1 if the embedding dropout probability is above 0"),
    Notation(dropout_attention, "attention dropout", "1 if the attention dropout probability is above 0"),
    Notation(dropout_residual, "residual dropout", "1 if the residual (hidden) dropout probability is above 0"),
    Notation(b_res, "residual bytes", "bytes per element of the residual stream (4 under autocast)"),
    Notation(b_soft, "softmax bytes", "bytes per element of the attention probabilities out of the softmax"),
    Notation(b_opt, "optimizer bytes", "optimizer state bytes per parameter (AdamW 8, SGD with momentum 4)"),
    Notation(b_opt_tensor, "optimizer bytes per tensor", "optimizer state bytes per parameter tensor (AdamW's step: 4)"),
    Notation(n_opt_temporaries, "update temporaries", "temporaries of the largest tensor during the optimizer update"),
    Notation(F_peak, "peak FLOP/s", "peak dense FLOP/s of one device in the setup's dtype (vendor datasheet)"),
    Notation(W_bandwidth, "bandwidth", "memory bandwidth of one device, bytes per second (vendor datasheet)"),
    Notation(n_devices, "devices", "devices a run is spread over"),
    Notation(mfu_bp, "mfu", "model FLOPs utilisation in basis points: 4000 is 40 % of the peak"),
    Notation(b_kv, "bytes of the KV cache", "bytes per element of a floating-point KV cache"),
    Notation(kv_bits, "KV bits", "bits per value of a quantized KV cache (2 or 4); 0 for a float cache"),
    Notation(g_kv, "KV group size", "cached values sharing one scale and one zero point (quantized cache)"),
    Notation(R_kv, "residual length", "tokens a quantized KV cache keeps in full precision before quantizing"),
    Notation(kv_kind, "cache kind", "0 dynamic (grown per token), 1 static (pre-allocated), 2 paged (vLLM blocks)"),
    Notation(S_max, "max_cache_len", "tokens a static cache is allocated for"),
    Notation(n_block, "block_size", "tokens per block of a paged KV cache"),
    Notation(w_fmt, "weight format", "0: weights in the setup's dtype; otherwise a quantized format's index"),
    Notation(r_lora, "LoRA rank", "rank r of every LoRA adapter"),
    Notation(lora_q, "LoRA on q", "1 if LoRA adapts the query projections (q_proj)"),
    Notation(lora_k, "LoRA on k", "1 if LoRA adapts the key projections (k_proj)"),
    Notation(lora_v, "LoRA on v", "1 if LoRA adapts the value projections (v_proj)"),
    Notation(lora_qkv, "LoRA on qkv", "1 if LoRA adapts a fused q, k, v projection (c_attn, query_key_value)"),
    Notation(lora_o, "LoRA on o", "1 if LoRA adapts the attention output projections"),
    Notation(lora_gate, "LoRA on gate", "1 if LoRA adapts the gate projections of a gated feed-forward block"),
    Notation(lora_up, "LoRA on up", "1 if LoRA adapts the first (up) feed-forward projections"),
    Notation(lora_down, "LoRA on down", "1 if LoRA adapts the second (down) feed-forward projections"),
    Notation(lora_router, "LoRA on router", "1 if LoRA adapts the router of a mixture of experts"),
    Notation(lora_experts, "LoRA on experts", "1 if LoRA adapts the 3-d expert gate/up tensors (peft's target_parameters)"),
    *(Notation(LORA_MORE_SYMBOLS[name], f"LoRA on {short}", f"1 if LoRA adapts {what}")
      for name, (short, what) in LORA_MORE_ROLES.items()),
    Notation(dora, "DoRA", "1 for DoRA (a magnitude vector per adapted layer), 0 for LoRA"),
    Notation(qlora, "QLoRA", "1 if the frozen base is stored in NF4 (QLoRA), 0 if in the setup's dtype"),
    Notation(paged_optimizer, "paged optimizer", "1 if the optimizer states are paged to CPU RAM on demand"),
    Notation(t, "tensor_parallel", "tensor-parallel degree: GPUs one layer is split across"),
    Notation(N_d, "data_parallel", "data-parallel degree: GPUs that share optimizer state under ZeRO"),
    Notation(N_pp, "pipeline_parallel", "pipeline stages: GPUs the layers are split across, in order"),
    Notation(N_cp, "context_parallel", "context-parallel degree: GPUs one sequence is split across"),
    Notation(N_ep, "expert_parallel", "expert-parallel degree: GPUs the experts of a layer are split across"),
    Notation(n_micro, "microbatches", "micro-batches per optimizer step (gradient accumulation, pipeline)"),
    Notation(n_virtual, "virtual_stages", "model chunks per pipeline stage under the interleaved schedule"),
    Notation(i_dp, "data_parallel_rank", "the data-parallel index of the device a term is evaluated for"),
    Notation(i_pp, "pipeline_stage", "the pipeline stage of the device a term is evaluated for (0 first)"),
    Notation(zero_1, "ZeRO stage >= 1", "1 if optimizer states are sharded over the data-parallel devices"),
    Notation(zero_2, "ZeRO stage >= 2", "1 if gradients are sharded too"),
    Notation(zero_3, "ZeRO stage 3", "1 if parameters are sharded too (FSDP)"),
    Notation(reshard, "reshard_after_forward", "1 if FSDP frees a layer's gathered parameters after its forward"),
    Notation(b_gather, "gathered bytes", "bytes per element of gathered parameters (4; 2 with bf16 mixed precision)"),
    Notation(sequence_parallel, "sequence parallel", "1 if the replicated activations are split over t as well"),
    Notation(recompute_full, "full recomputation", "1 if each layer keeps only its input and is recomputed"),
    Notation(recompute_selective, "selective recomputation", "1 if the attention core is recomputed"),
    Notation(gpipe, "GPipe", "1 for the GPipe schedule (every micro-batch in flight)"),
    Notation(interleaved, "interleaved", "1 for the interleaved 1F1B schedule"),
    Notation(offload, "offload", "1 if the optimizer states live in host memory"),
    Notation(adamw_8bit, "AdamW8bit", "1 for bitsandbytes' blockwise 8-bit AdamW"),
    Notation(g, "group_size", "weights sharing one quantization scale"),
    Notation(density, "density", "fraction of weights a pruned model keeps"),
    Notation(N_teacher, "teacher", "parameters of the teacher model in distillation"),
    Notation(N_student, "student", "parameters of the student model in distillation"),
    Notation(alpha, "alpha", "scaling exponent of performance in N"),
    Notation(gain, "gain", "factor by which performance should improve (1.1 for 10 %)"),
    Notation(D_train, "training tokens",
             "tokens seen in training (Chinchilla's D; the compute budget is about 6 N D_train)"),
    Notation(D_article, "the article's D",
             "the article's 'input dimension' in its 8BD, quoted only: the token ids are (B, S), so it is S"),
)

#: Every symbol by its name (the names the generated evaluators use).
BY_NAME: dict[str, sp.Symbol] = {n.symbol.name: n.symbol for n in NOTATION}
