"""Measuring serving and fine-tuning with the real libraries, to check chapters 16 and 17.

Imports torch, transformers, peft and the quantizers only when a function is
called.  Every model comes from :func:`everybyte.measure.build_model`.

* :func:`cache_bytes`: bytes of the distinct storages of every tensor a cache
  object holds (quantized tensors are opened into their inner tensors);
* :func:`kv_cache_bytes`: that, for the cache one forward of random ids of
  shape ``(batch, seq)`` returns with ``use_cache=True`` (or a StaticCache /
  QuantizedCache passed in);
* :func:`generate_cache_bytes`: the same for the cache ``generate()`` returns;
* :func:`generate_peak_bytes`: MemTracker's peak of ``model.generate()``;
* :func:`peft_model` and :func:`trainable_parameters`: peft's own count;
* :func:`lora_step_peak_bytes`: MemTracker's peak of one LoRA training step;
* :func:`state_dict_bytes`: bytes of a (quantized) module's state dict.
"""

from __future__ import annotations

import contextlib

from . import validation as check
from .measure import build_model

TORCH_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}

#: Every attention layout the supported families express, at sizes a CPU runs in milliseconds
#: (the KV-cache and LoRA checks of the tests, the benchmark and chapters 16 and 17).
LAYOUTS: dict[str, dict] = {
    "gpt2 (MHA)": {"model_type": "gpt2", "n_embd": 60, "n_head": 5, "n_layer": 2, "vocab_size": 101, "n_positions": 64},
    "gpt_neox (MHA, partial rotary)": {"model_type": "gpt_neox", "hidden_size": 48, "num_attention_heads": 3,
                                       "num_hidden_layers": 2, "intermediate_size": 70, "vocab_size": 101},
    "llama (GQA, head_dim 20)": {"model_type": "llama", "hidden_size": 96, "num_attention_heads": 6,
                                 "num_key_value_heads": 2, "head_dim": 20, "intermediate_size": 64,
                                 "num_hidden_layers": 3, "vocab_size": 101},
    "qwen2 (MQA)": {"model_type": "qwen2", "hidden_size": 48, "num_attention_heads": 6, "num_key_value_heads": 1,
                    "intermediate_size": 64, "num_hidden_layers": 2, "vocab_size": 101},
    "mistral (GQA, no window)": {"model_type": "mistral", "hidden_size": 64, "num_attention_heads": 4,
                                 "num_key_value_heads": 2, "intermediate_size": 96, "num_hidden_layers": 2,
                                 "vocab_size": 101, "sliding_window": None},
    "mixtral (GQA, experts)": {"model_type": "mixtral", "hidden_size": 48, "num_attention_heads": 4,
                               "num_key_value_heads": 2, "intermediate_size": 40, "num_hidden_layers": 2,
                               "vocab_size": 101, "num_local_experts": 3},
}
#: Models of real proportions (vocabulary about 10 d_model, d_ff about 2 d_model) for the peaks.
PEAK_MODELS: dict[str, dict] = {
    "llama (d 96, 6/2 heads of 20, 3 layers, V 1009)": {
        "model_type": "llama", "hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2, "head_dim": 20,
        "intermediate_size": 200, "num_hidden_layers": 3, "vocab_size": 1009},
    "gpt2 (d 96, 6 heads, 3 layers, V 2003)": {
        "model_type": "gpt2", "n_embd": 96, "n_head": 6, "n_layer": 3, "vocab_size": 2003, "n_positions": 256},
    "gpt_neox (d 96, 6 heads, 3 layers, V 1009)": {
        "model_type": "gpt_neox", "hidden_size": 96, "num_attention_heads": 6, "num_hidden_layers": 3,
        "intermediate_size": 200, "vocab_size": 1009},
}
#: The llama of PEAK_MODELS (chapters 16 and 17 measure it).
PEAK_LLAMA = PEAK_MODELS["llama (d 96, 6/2 heads of 20, 3 layers, V 1009)"]


def _torch():
    import torch

    return torch


def _inner_tensors(tensor):
    """A tensor, or the plain tensors inside a tensor subclass (quanto's QTensor, torchao's Int8Tensor)."""
    torch = _torch()
    if type(tensor) not in (torch.Tensor, torch.nn.Parameter) and hasattr(tensor, "__tensor_flatten__"):
        names, _ = tensor.__tensor_flatten__()
        for name in names:
            yield from _inner_tensors(getattr(tensor, name))
    else:
        yield tensor


def cache_bytes(cache) -> int:
    """Bytes of the distinct storages of every tensor held by ``cache`` (its layers' attributes, recursively)."""
    torch = _torch()
    seen: dict[int, int] = {}

    def walk(obj, depth=0):
        if depth > 8:
            return
        if torch.is_tensor(obj):
            for t in _inner_tensors(obj):
                storage = t.untyped_storage()
                seen[storage.data_ptr()] = storage.nbytes()
        elif isinstance(obj, (list, tuple)):
            for x in obj:
                walk(x, depth + 1)
        elif isinstance(obj, dict):
            for x in obj.values():
                walk(x, depth + 1)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            for x in vars(obj).values():
                walk(x, depth + 1)

    walk(cache)
    return sum(n for pointer, n in seen.items() if pointer)  # empty tensors (pointer 0) hold nothing


def serving_model(source, dtype: str = "fp32", attention: str = "sdpa"):
    """The real model of ``source`` in ``dtype`` and ``eval()`` mode (built by :func:`build_model`)."""
    check.choice("dtype", dtype, TORCH_DTYPES)
    torch = _torch()
    model = build_model(source, attention=attention)
    return model.to(getattr(torch, TORCH_DTYPES[dtype])).eval()


def kv_cache_bytes(model, batch: int, seq: int, *, cache=None, seed: int = 0) -> int:
    """Distinct-storage bytes of the cache after one forward of random ``(batch, seq)`` ids with use_cache=True."""
    check.positive_int("batch", batch)
    check.positive_int("seq", seq)
    torch = _torch()
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(seed))
    given = {} if cache is None else {"cache": cache}  # transformers 5.24 names the argument `cache`
    with torch.no_grad():
        out = model(input_ids=ids, use_cache=True, **given)
    return cache_bytes(out.past_key_values)


def generate_cache_bytes(model, batch: int, seq: int, new_tokens: int, *, seed: int = 0) -> int:
    """Distinct-storage bytes of the cache ``generate()`` returns after ``new_tokens`` greedy tokens.

    The last token is not fed back, so the cache holds ``seq + new_tokens - 1`` tokens.
    """
    torch = _torch()
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=new_tokens, do_sample=False, pad_token_id=0,
                             attention_mask=torch.ones_like(ids), return_dict_in_generate=True)
    return cache_bytes(out.past_key_values)


def generate_peak_bytes(model, batch: int, seq: int, new_tokens: int = 2, *, seed: int = 0) -> int:
    """MemTracker's peak (CPU) of ``model.generate()`` from random ``(batch, seq)`` ids, greedy, new_tokens more."""
    torch = _torch()
    from torch.distributed._tools.mem_tracker import MemTracker

    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(seed))
    kwargs = dict(max_new_tokens=new_tokens, do_sample=False,
                  pad_token_id=0, attention_mask=torch.ones_like(ids))
    tracker = MemTracker()

    def forget_the_last_call(module, args):
        # generate() calls the model once per token; MemTracker keeps per-module statistics for one
        # call only, so they are cleared before each (its running peak is kept apart and survives).
        if module is model:
            tracker.reset_mod_stats()

    # A global hook registered before the tracker's runs before the tracker's own pre-forward hook.
    handle = torch.nn.modules.module.register_module_forward_pre_hook(forget_the_last_call)
    try:
        with torch.no_grad():
            model.generate(ids, **kwargs)  # warm-up: lazily made buffers exist before the measured call
            tracker.track_external(model)
            with tracker:
                model.generate(ids, **kwargs)
    finally:
        handle.remove()
    peak = tracker.get_tracker_snapshot("peak")
    return int(sum(by_type["Total"] for by_type in peak.values()))


def peft_model(source, rank: int, targets, *, dora: bool = False, meta: bool = False, attention: str = "eager"):
    """``get_peft_model(model, LoraConfig(r=rank, target_modules=targets, use_dora=dora))`` of ``source``."""
    from peft import LoraConfig, get_peft_model

    target_modules = targets if isinstance(targets, str) else list(targets)
    model = build_model(source, attention=attention, meta=meta)
    return get_peft_model(model, LoraConfig(r=rank, target_modules=target_modules, use_dora=dora))


def trainable_parameters(source, rank: int, targets, *, dora: bool = False) -> int:
    """What peft's ``get_nb_trainable_parameters()`` returns first (built on the meta device)."""
    return int(peft_model(source, rank, targets, dora=dora, meta=True).get_nb_trainable_parameters()[0])


def lora_step_peak_bytes(model, batch: int, seq: int, *, seed: int = 0) -> int:
    """MemTracker's peak (CPU) of one LoRA training step (AdamW over the trainable parameters, foreach=False)."""
    torch = _torch()
    from torch.distributed._tools.mem_tracker import MemTracker

    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-4, foreach=False)
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(seed))

    def step():
        model(input_ids=ids, labels=ids).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()  # creates the optimizer states
    tracker = MemTracker()
    tracker.track_external(model, opt)
    with _no_gradient_hooks_on_frozen_parameters(), tracker:
        step()
    peak = tracker.get_tracker_snapshot("peak")
    return int(sum(by_type["Total"] for by_type in peak.values()))


@contextlib.contextmanager
def _no_gradient_hooks_on_frozen_parameters():
    """MemTracker hooks every parameter's gradient, which a frozen one refuses; skip those (they get none)."""
    torch = _torch()

    class _Nothing:
        def remove(self):
            pass

    register, post = torch.Tensor.register_hook, torch.Tensor.register_post_accumulate_grad_hook
    torch.Tensor.register_hook = lambda t, hook: register(t, hook) if t.requires_grad else _Nothing()
    torch.Tensor.register_post_accumulate_grad_hook = lambda t, hook: post(t, hook) if t.requires_grad else _Nothing()
    try:
        yield
    finally:
        torch.Tensor.register_hook, torch.Tensor.register_post_accumulate_grad_hook = register, post


def replace_linears(model, make):
    """``model`` with each nn.Linear of its decoder layers replaced by ``make(linear)`` (weights copied).

    ``.to("cpu")`` after loading the weights is what makes bitsandbytes' parameters quantize.
    Works for the llama family's layout (``model.model.layers[i].self_attn`` and ``.mlp``).
    """
    torch = _torch()
    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name, child in list(parent.named_children()):
                if isinstance(child, torch.nn.Linear):
                    new = make(child)
                    new.load_state_dict(child.state_dict())
                    setattr(parent, name, new.to("cpu"))
    return model


def replace_every_linear(model, make):
    """``model`` with every nn.Linear module but the output layer replaced by ``make(linear)`` (weights copied).

    What bitsandbytes' transformers integration replaces, for any model type: the linear layers of the
    blocks and the ones outside them (OPT's projections), not the output layer, the embeddings, the
    norms, the convolutions or transformers 5's 3-d expert tensors.
    """
    torch = _torch()
    head = model.get_output_embeddings()
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear) and child is not head:
                new = make(child)
                new.load_state_dict(child.state_dict())
                setattr(parent, name, new.to("cpu"))
    return model


def state_dict_bytes(module, *, skip=()) -> int:
    """Bytes of the distinct storages of ``module.state_dict()`` (keys containing a ``skip`` string left out)."""
    seen: dict[int, int] = {}
    for key, value in module.state_dict().items():
        if any(s in key for s in skip):
            continue
        for t in _inner_tensors(value):
            storage = t.untyped_storage()
            seen[storage.data_ptr()] = storage.nbytes()
    return sum(n for pointer, n in seen.items() if pointer)
