"""Measuring what PyTorch really stores, to check the package's predictions (chapter 13).

Imports torch and transformers only when a function here is called, so the
rest of the package works without them.

* :func:`saved_tensor_bytes`: bytes autograd saves for backward during one
  training forward pass (``saved_tensors_hooks``; distinct storages,
  parameters and buffers excluded).
* :func:`training_step_peak_bytes`: peak memory of a full training step
  (forward, backward, optimizer step), with PyTorch's own ``MemTracker`` on the
  CPU (optionally under ``FakeTensorMode``, which allocates nothing) or
  ``torch.cuda.max_memory_allocated`` on a GPU.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from collections.abc import Mapping

from . import validation as check
from .options import ATTENTIONS, COMPUTE_DTYPES, DEVICES, OPTIMIZERS


def quiet_kernel_notices() -> None:
    """Keep torchao's, torch pytree's and bitsandbytes' import-time notices about missing kernels to errors.

    With torchao installed (chapter 16), transformers and peft import it while building a model, and
    it logs, with timestamps, that its CUDA kernels cannot be loaded; torch's pytree logs a
    deprecation about it and bitsandbytes that a CPU kernel package is missing.  None concerns a CPU
    measurement, and the timestamps would make outputs differ from run to run.
    """
    import logging

    for name in ("torchao", "torch.utils._pytree", "bitsandbytes"):
        logging.getLogger(name).setLevel(logging.ERROR)


quiet_kernel_notices()

DTYPES = COMPUTE_DTYPES


def _torch():
    import torch

    return torch


def hf_config_dict(source) -> dict:
    """The ``config.json`` dict of a preset name or a path (for building the real model)."""
    from .hf import load_config_dict
    from .presets import preset_names, preset_path, preset_sources

    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, str) and source in preset_names():
        if source not in preset_sources():
            raise ValueError(f"source {source!r} has no real model code (it is the article's own example)")
        with open(preset_path(source), encoding="utf-8") as handle:
            return json.load(handle)
    return load_config_dict(source)


def build_model(source, *, attention: str = "eager", device: str = "cpu", meta: bool = False, fake: bool = False):
    """``AutoModelForCausalLM.from_config`` of ``source`` in ``train()`` mode, fp32 weights.

    The one builder of real models for the tests, the chapters and the
    benchmarks.  ``source`` is a preset name, a path or a ``config.json`` dict.
    ``meta=True`` builds it on the meta device (no memory; for counting);
    ``fake=True`` under ``FakeTensorMode`` (shapes and dtypes, no memory; for
    :func:`training_step_peak_bytes` with ``fake=True``).
    """
    check.choice("attention", attention, ATTENTIONS)
    check.choice("device", device, DEVICES)
    check.boolean("meta", meta)
    check.boolean("fake", fake)
    if meta and fake:
        raise ValueError("meta and fake are two ways to allocate nothing: choose one")
    torch = _torch()
    import transformers

    transformers.logging.set_verbosity_error()
    data = hf_config_dict(source)
    fields = {k: v for k, v in data.items() if k != "model_type"}
    config = transformers.AutoConfig.for_model(data.get("model_type"), **fields)
    if fake:
        from torch._subclasses.fake_tensor import FakeTensorMode

        context = FakeTensorMode()
    else:
        context = torch.device("meta" if meta else device)
    with context:
        model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation=attention)
    return model.train()


def _autocast(dtype: str, device: str):
    torch = _torch()
    if dtype == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device, dtype={"bf16": torch.bfloat16, "fp16": torch.float16}[dtype])


@dataclass(frozen=True)
class SavedStorage:
    """One distinct storage autograd saved: its size, and the module whose forward saved it."""

    nbytes: int
    shape: tuple
    dtype: str
    module: str


def saved_tensors(model, batch: int, seq: int, *, dtype: str = "fp32", seed: int = 0) -> list[SavedStorage]:
    """Every distinct storage saved for backward by one training forward pass of ``model``.

    ``input_ids`` of shape (batch, seq) drawn with ``seed``, ``labels`` equal to
    them (so the loss is included); ``bf16``/``fp16`` run the forward under
    ``torch.autocast`` of the model's device with the weights left in fp32.
    Storages of parameters and buffers are excluded; a storage saved twice
    counts once.
    """
    check.positive_int("batch", batch)
    check.positive_int("seq", seq)
    check.choice("dtype", dtype, DTYPES)
    torch = _torch()
    device = next(model.parameters()).device
    excluded = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    stack: list[str] = []
    handles = []
    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(lambda m, a, name=name: stack.append(name) and None))
        handles.append(module.register_forward_hook(lambda m, a, o: stack.pop() and None))
    seen: dict[int, SavedStorage] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        pointer = storage.data_ptr()
        if pointer not in excluded and pointer not in seen:
            seen[pointer] = SavedStorage(storage.nbytes(), tuple(tensor.shape), str(tensor.dtype).removeprefix("torch."),
                                         stack[-1] if stack else "")
        return tensor

    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=generator).to(device)
    torch.manual_seed(seed)
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), _autocast(dtype, device.type):
            output = model(input_ids=ids, labels=ids)
    finally:
        for handle in handles:
            handle.remove()
    del output
    return list(seen.values())


def saved_tensor_bytes(model, batch: int, seq: int, *, dtype: str = "fp32", seed: int = 0) -> int:
    """Total bytes of :func:`saved_tensors` (the figure chapter 13 predicts to the byte)."""
    return sum(s.nbytes for s in saved_tensors(model, batch, seq, dtype=dtype, seed=seed))


def _training_step(model, batch: int, seq: int, dtype: str, optimizer: str, seed: int):
    """The optimizer and a ``step(mark)`` closure: forward, backward, optimizer step, ``zero_grad(set_to_none=True)``.

    ``mark(phase)`` is called with ``"forward"``, ``"backward"`` and ``"optimizer"`` as each phase begins.
    """
    check.positive_int("batch", batch)
    check.positive_int("seq", seq)
    check.choice("dtype", dtype, DTYPES)
    check.choice("optimizer", optimizer, OPTIMIZERS)
    torch = _torch()
    device = next(model.parameters()).device
    opt = {
        "adamw": lambda p: torch.optim.AdamW(p, lr=1e-4, foreach=False),
        "sgd_momentum": lambda p: torch.optim.SGD(p, lr=1e-4, momentum=0.9, foreach=False),
        "sgd": lambda p: torch.optim.SGD(p, lr=1e-4, foreach=False),
    }[optimizer](model.parameters())
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=generator).to(device)

    def step(mark=lambda phase: None):
        mark("forward")
        with _autocast(dtype, device.type):
            loss = model(input_ids=ids, labels=ids).loss
        mark("backward")
        loss.backward()
        mark("optimizer")
        opt.step()
        opt.zero_grad(set_to_none=True)

    return opt, step


def training_step_peak_bytes(model, batch: int, seq: int, *, dtype: str = "fp32", optimizer: str = "adamw",
                             fake: bool = False, seed: int = 0) -> int:
    """Peak bytes of one training step: forward, backward and optimizer step.

    On the CPU with PyTorch's ``MemTracker`` (``fake=True`` runs it under
    ``FakeTensorMode``, for models too large to allocate); on CUDA with
    ``torch.cuda.max_memory_allocated``.  The optimizer's states are created
    by a first step before the measured one (so the measured step is a steady
    one); gradients are set to ``None`` between steps, as ``zero_grad`` does.

    With ``fake=True`` build the model on the meta device or under
    ``FakeTensorMode``.  Seen in chapter 13: in bf16 the fake run equals the
    real one; in fp32 it counts the fp32 weights of the linear layers once
    more (cause not traced), so use it for bf16/fp16 only.
    """
    torch = _torch()
    device = next(model.parameters()).device
    opt, step = _training_step(model, batch, seq, dtype, optimizer, seed)
    if device.type == "cuda":
        step()
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        step()
        torch.cuda.synchronize()
        return int(torch.cuda.max_memory_allocated())
    from torch.distributed._tools.mem_tracker import MemTracker

    mode = contextlib.nullcontext()
    if fake:
        from torch._subclasses.fake_tensor import FakeTensorMode

        mode = FakeTensorMode(allow_non_fake_inputs=True)
    with mode:
        step()  # creates the optimizer states, so that the tracker sees them as such
        tracker = MemTracker()
        tracker.track_external(model, opt)
        with tracker:
            step()
        peak = tracker.get_tracker_snapshot("peak")
    return int(sum(by_type["Total"] for by_type in peak.values()))


@dataclass(frozen=True)
class MemorySample:
    """Memory as ``MemTracker`` counts it right after one operation of a training step (chapter 13's figure).

    ``phase`` is ``"forward"``, ``"backward"`` or ``"optimizer"``; ``by_kind`` maps MemTracker's
    reference types (``Parameter``, ``Buffer``, ``Gradient``, ``Activation``, ``Temp``,
    ``Optstate``, ``Other``) to bytes; ``total`` is their sum.
    """

    phase: str
    by_kind: dict
    total: int


def training_step_timeline(model, batch: int, seq: int, *, dtype: str = "fp32", optimizer: str = "adamw",
                           seed: int = 0) -> list[MemorySample]:
    """Memory after every operation of one steady training step, as PyTorch's ``MemTracker`` counts it (CPU).

    The same step as :func:`training_step_peak_bytes` (a first step creates the
    optimizer states, the second is recorded), with one sample when the tracker
    starts and one after each operation it sees; the largest ``total`` is the
    tracker's peak.
    """
    device = next(model.parameters()).device
    if device.type != "cpu":
        raise ValueError(f"model must be on the CPU for MemTracker's timeline, got device {device.type!r}")
    from torch.distributed._tools.mem_tracker import MemTracker

    opt, step = _training_step(model, batch, seq, dtype, optimizer, seed)
    samples: list[MemorySample] = []
    phase = ["forward"]

    class Recorder(MemTracker):
        def record(self):
            snapshot = self.get_tracker_snapshot()  # "current": bytes by reference type, per device
            by_kind: dict[str, int] = {}
            for by_type in snapshot.values():
                for kind, n_bytes in by_type.items():
                    name = getattr(kind, "value", kind)
                    if name != "Total":
                        by_kind[name] = by_kind.get(name, 0) + int(n_bytes)
            samples.append(MemorySample(phase[0], by_kind, sum(by_kind.values())))

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = super().__torch_dispatch__(func, types, args, kwargs)
            self.record()
            return out

    step()  # creates the optimizer states
    tracker = Recorder()
    tracker.track_external(model, opt)
    with tracker:
        tracker.record()
        step(lambda name: phase.__setitem__(0, name))
    return samples
