"""One entry point for every number: ``estimate(config, workload, setup)``.

:func:`estimate` evaluates every term of the config's family (parameters,
weights per dtype, KV cache, saved activations, training-step state, the
candidate moments of the peak and the peak) with the evaluators generated from
the package's SymPy terms (:mod:`everybyte.codegen`), so it runs without SymPy;
:meth:`Estimate.expr` gives the SymPy expression behind any number.  The
command line, the chapters' glued numbers, the plots and the tests all read an
:class:`Estimate`; none adds terms up by hand.

:func:`count_params` is the parameter part alone, for a config without a workload.
"""

from __future__ import annotations

from types import MappingProxyType
from collections.abc import Mapping

from . import _generated
from . import validation as check
from .config import ModelConfig
from .families import ACTIVATION_SAVED_TENSORS, MODEL_TYPES
from .knobs import KV_FLOAT_BYTES, KV_QUANTIZED_BITS
from .options import Setup, Workload
from .records import Record


class TermInfo(Record):
    """What a number is: its key, a label for readers, its unit, tags and the section deriving it."""

    key: str
    label: str
    unit: str
    tags: frozenset[str]
    section: str


def _infos(family: str) -> dict[str, TermInfo]:
    return {key: TermInfo(key, label, unit, frozenset(tags), section)
            for key, label, unit, tags, section, _, _ in _generated.TERMS[family]}


def _references(family: str) -> dict[str, tuple[str, ...]]:
    return {key: refs for key, *_, refs in _generated.TERMS[family]}


def activations_unavailable(config: ModelConfig, setup: Setup | None = None) -> str | None:
    """Why no activation accounting covers ``config`` (in ``setup``), or ``None`` when one does."""
    check.model_config("config", config)
    family = config.family
    entry = MODEL_TYPES[config.model_type]
    if family.activations is None or entry.no_activations:
        return f"no activation accounting for {config.model_type}: {entry.no_activations or family.no_activations}"
    unfollowed = [name for name in ("embedding_dropout", "attention_dropout", "residual_dropout")
                  if getattr(config, name) > 0 and name not in family.dropouts]
    if unfollowed:
        return (f"the {family.activations} accounting follows no {unfollowed[0].replace('_', ' ')} mask; "
                f"{config.model_type} has {unfollowed[0]}={getattr(config, unfollowed[0])}")
    if setup is not None and setup.attention not in family.attentions:
        return (f"transformers' {config.model_type} has no {setup.attention} attention; the accounting follows "
                f"{', '.join(family.attentions)}")
    if (not family.partial_rotary and config.rotary_set_count
            and config.rotary_channels not in (0, config.head_width)):
        return (f"the {family.activations} accounting follows rotary embeddings over whole heads; this config turns "
                f"{config.rotary_channels} of {config.head_width} channels")
    mismatch = config.layout_mismatch()
    if mismatch:
        return f"no real code saves the activations of this config: it has {mismatch}"
    allowed = family.activation_functions or tuple(ACTIVATION_SAVED_TENSORS)
    if config.activation not in allowed:
        return (f"activation must be one of {', '.join(allowed)} for the activation accounting of "
                f"{config.model_type}; got {config.activation!r}")
    return None


def kv_cache_unavailable(config: ModelConfig, workload: Workload) -> str | None:
    """Why the KV-cache terms (keys and values of every attention layer) do not hold, or ``None``.

    They hold where every layer attends with h_kv key and value heads of width
    d_head (full, sliding-window or chunked attention; chapter 16 counts each
    kind): not for state-space, DeltaNet or convolution layers, whose states
    are not counted yet, and not for latent attention.
    """
    family = config.family
    if family.no_kv_cache:
        return f"the KV cache of {config.model_type} is not this formula: {family.no_kv_cache}"
    return None


#: The families whose linear layers chapters 15 to 17 map one by one for everything: which ones LoRA
#: adapts, which ones a quantizer packs, how tensor parallelism splits them and what a serving step holds
#: inside them.
LINEAR_FAMILIES = ("gpt2", "llama", "gpt_neox", "mixtral")
#: The terms that need that map (their keys, or the keys under them).
_LINEAR_PREFIXES = ("lora", "finetuning", "quantized_weights", "serving/prefill", "serving/decode",
                    "serving/working_memory", "serving/peak")
#: The part of them LoRA needs, which every model type of :data:`everybyte.knobs.LORA_MODULES` has: its
#: linear map comes from its family's tensor table (everybyte.linears) and peft's module names.
_LORA_PREFIXES = ("lora", "finetuning")


#: Kept whatever is withheld: the serving weights, which are the dtype's where the map is missing
#: (:func:`_refuse_unmapped` refuses a quantized format there).
_KEPT = frozenset({"serving/weights"})


def linears_unavailable(config: ModelConfig) -> str | None:
    """Why chapters 15 to 17's map of the linear layers does not cover all of ``config``, or ``None`` when it does.

    Quantized weight formats, the serving working memory and tensor or
    pipeline parallelism are counted layer by layer from that map for the
    chapter 12 layouts (GPT-2, Llama, GPT-NeoX, Mixtral and the model types
    read as them).  Chapter 14's families have LoRA (:func:`lora_unavailable`)
    and the bitsandbytes formats (:func:`quantized_unavailable`), not the
    rest yet: their serving transients and parallel splits are not derived.
    """
    family = config.family.name
    if family in LINEAR_FAMILIES:
        return None
    return (f"{config.model_type} is chapter 14's {family} family, whose linear layers are not yet mapped for "
            f"tensor or pipeline parallelism, the serving working memory and the GPTQ, AWQ, torchao and GGUF "
            f"formats (mapped: the {', '.join(LINEAR_FAMILIES)} layouts; LoRA and the bitsandbytes formats "
            f"are mapped for every family)")


def lora_unavailable(config: ModelConfig) -> str | None:
    """Why LoRA's adapters and the LoRA step are not counted for ``config``, or ``None`` when they are."""
    from .knobs import LORA_MODULES

    if config.model_type in LORA_MODULES:
        return None
    return f"peft's module names of {config.model_type} are not mapped (mapped: {', '.join(LORA_MODULES)})"


#: The formats chapter 14's families have, checked against bitsandbytes on the CPU for every model type of
#: the zoo (tests/test_quantization.py): it replaces the nn.Linear modules, whatever the family.
CHECKED_FORMATS = ("int8", "nf4", "fp4", "nf4-dq")


def quantized_unavailable(config: ModelConfig, fmt: str) -> str | None:
    """Why ``quantized_weights/<fmt>`` is not counted for ``config``, or ``None`` when it is."""
    if config.family.name in LINEAR_FAMILIES:
        return None
    if fmt not in CHECKED_FORMATS:
        return (f"{fmt} is counted for the chapter 12 layouts only ({', '.join(LINEAR_FAMILIES)}); chapter 14's "
                f"families have the bitsandbytes formats {', '.join(CHECKED_FORMATS)}")
    from .linear_names import LINEAR_ROUTERS

    if config.model_type in LINEAR_ROUTERS:
        return (f"{config.model_type}'s router is an nn.Linear module that bitsandbytes packs; the terms keep it in "
                "16 bits")
    return None


def _refuse_unmapped(config: ModelConfig, setup: Setup, note: str) -> None:
    """A setup that asks for what ``note`` says is not mapped: a ValueError naming the argument."""
    if setup.lora is not None and lora_unavailable(config):
        raise ValueError(f"lora: not available for this model; {lora_unavailable(config)}")
    for name, fmt in (("quant", "nf4-dq" if setup.lora is not None and setup.lora.quant else None),
                      ("weights", setup.serving.weights if setup.serving is not None else None)):
        why = quantized_unavailable(config, fmt) if fmt not in (None, "auto") else None
        if why:
            raise ValueError(f"{name}: not available for this model; {why}")
    if setup.parallel is not None:
        asked = [name for name in ("tp", "pp", "ep") if getattr(setup.parallel, name) > 1]
        if asked:
            raise ValueError(f"{asked[0]}: not available for this model; {note}")


def _linear_keys(keys) -> set[str]:
    """The keys among ``keys`` that need the map of the linear layers."""
    return {key for key in keys if any(key == p or key.startswith(p + "/") for p in _LINEAR_PREFIXES)}


def _kv_keys(keys) -> set[str]:
    """The KV-cache keys among ``keys`` (which hold where every layer caches every token)."""
    return {key for key in keys if key == "kv_cache" or key.startswith("kv_cache/")}


#: References that do not count when the base is not quantized: LoRA's frozen base is the setup's dtype then.
_QLORA_ONLY = frozenset({("finetuning/base_weights", "quantized_weights/nf4-dq")})


def _withheld(family: str, seeds: set[str], cut: frozenset = frozenset()) -> set[str]:
    """``seeds`` and every term that refers to one of them, however indirectly (leaving out the ``cut`` references)."""
    out = set(seeds)
    for key, refs in _references(family).items():  # terms come after the terms they refer to
        if any(r in out and (key, r) not in cut for r in refs):
            out.add(key)
    return out


def _linear_seeds(config: ModelConfig, keys) -> set[str]:
    """The keys the linear map does not cover for ``config``: LoRA's and the checked formats' are left out."""
    seeds = _linear_keys(keys)
    if lora_unavailable(config) is None:
        seeds = {k for k in seeds if not any(k == p or k.startswith(p + "/") for p in _LORA_PREFIXES)}
    return {k for k in seeds if not (k.startswith("quantized_weights/")
                                     and quantized_unavailable(config, k.removeprefix("quantized_weights/")) is None)}


def symbol_values(config: ModelConfig, workload: Workload | None = None, setup: Setup | None = None) -> dict:
    """Values of every symbol the accounting uses, by name (the generated evaluators' input)."""
    check.model_config("config", config)
    values = config.values()
    if workload is not None:
        check.instance("workload", workload, Workload, "an everybyte.Workload(batch=..., seq=...)")
        values.update(B=workload.batch, S=workload.seq)
    if setup is not None:
        check.instance("setup", setup, Setup, "an everybyte.Setup(dtype=..., attention=..., device=..., optimizer=...)")
        values.update(setup.symbol_values())
        if workload is not None and values["D_train"] == 0:  # a run of one step
            values["D_train"] = workload.batch * workload.seq
        # What needs the model or the workload: the LoRA targets' roles in this family, a static
        # cache's length (the workload's S unless max_cache_len is given).
        if setup.lora is not None:
            values.update(setup.lora.symbol_values(config.model_type))
        if workload is not None:
            values.update(setup.serving_or_default().symbol_values(values["b_dtype"], workload.seq))
        # The serving peak counts a feed-forward activation's intermediates by n_act (gelu_new's four);
        # an activation the training accounting does not know is counted as exact GELU's (input and output).
        values.setdefault("n_act", 1)
    return values


class Estimate(Record):
    """Every term of one config, workload and setup, as exact ints, with what each one is.

    ``bytes`` maps each key to its value (bytes, or parameters for
    ``parameters/...`` keys); ``activations_note`` says why there are no
    activation and peak terms, when there are none.
    """

    config: ModelConfig
    workload: Workload | None
    setup: Setup | None
    bytes: Mapping[str, int]
    info: Mapping[str, TermInfo]
    activations_note: str | None = None
    values: Mapping[str, int] = MappingProxyType({})
    kv_cache_note: str | None = None
    linears_note: str | None = None

    def __getitem__(self, key: str) -> int:
        if key not in self.bytes:
            note = self.why_missing(key)
            note = f" ({note})" if note else ""
            raise KeyError(f"{key!r} is not a term of this estimate{note}")
        return self.bytes[key]

    def __contains__(self, key: str) -> bool:
        return key in self.bytes

    def why_missing(self, key: str) -> str | None:
        """Why ``key`` has no value here (which of the notes holds it back), or ``None``."""
        if key in self.bytes:
            return None
        if key not in self.info:  # a term of another family's accounting, or of none
            return self.activations_note
        family = self.config.family.name
        cut = _QLORA_ONLY if self.values.get("x_qlora", 0) == 0 else frozenset()
        for note, seed in ((self.kv_cache_note, _kv_keys(self.info)),
                           (self.linears_note, _linear_seeds(self.config, self.info))):
            if note and key in _withheld(family, seed, cut) - _KEPT:
                return note
        return self.activations_note

    def get(self, key: str, default=None):
        return self.bytes.get(key, default)

    def under(self, prefix: str) -> dict[str, int]:
        """The terms whose key lies under ``prefix`` (``prefix/...``), by key, in order."""
        return {k: v for k, v in self.bytes.items() if k.startswith(prefix + "/")}

    def label(self, key: str) -> str:
        return self.info[key].label

    def formula(self, key: str):
        """The SymPy expression of ``key`` with this config's and setup's switches substituted, sizes kept."""
        from .accounting import formula

        return formula(self.config, key, self.setup)

    def expr(self, key: str, *, resolved: bool = True):
        """The SymPy expression behind ``key`` (imports SymPy); with ``resolved`` every reference expanded."""
        from .accounting import family_terms
        from .terms import resolve

        terms = family_terms(self.config.family.name)
        term = next((t for t in terms if t.key == key), None)
        if term is None:
            raise KeyError(f"{key!r} is not a term of the {self.config.family.name} accounting")
        return resolve(term.expr, terms) if resolved else term.expr


def estimate(config: ModelConfig, workload: Workload | None = None, setup: Setup | None = None) -> Estimate:
    """Every term of ``config`` for ``workload`` and ``setup`` (defaults: :class:`Setup`'s), as exact ints.

    Without a workload only the terms that need none are evaluated (parameters,
    the table's shape).  A family or config without an activation accounting
    gets no ``activations`` or ``training_peak`` terms, and ``activations_note``
    says why.
    """
    check.model_config("config", config)
    family = config.family.name
    info = _infos(family)
    if workload is None:
        if setup is not None:
            raise ValueError("setup needs a workload: give workload=everybyte.Workload(batch=..., seq=...)")
        values = symbol_values(config)
        numbers = _generated.PARAMETERS[family](values)
        return Estimate(config, None, None, MappingProxyType(numbers), MappingProxyType(info), None,
                        MappingProxyType(values))
    setup = Setup() if setup is None else setup
    check.instance("workload", workload, Workload, "an everybyte.Workload(batch=..., seq=...)")
    check.instance("setup", setup, Setup, "an everybyte.Setup(dtype=..., attention=..., device=..., optimizer=...)")
    linear_note = linears_unavailable(config)
    if linear_note:
        _refuse_unmapped(config, setup, linear_note)
    serving = setup.serving_or_default()
    if serving.kv_dtype in KV_QUANTIZED_BITS and (config.sliding_window or config.attention_chunk):
        counts = config.layer_counts()
        if counts["L_slide"] or counts["L_chunk"]:
            raise ValueError(f"kv_dtype: transformers' QuantizedCache supports only full-attention layers, and "
                             f"{counts['L_slide'] + counts['L_chunk']} layers of {config.model_type} attend to a "
                             f"window; use auto or {', '.join(KV_FLOAT_BYTES)}")
    values = symbol_values(config, workload, setup)
    note = activations_unavailable(config, setup)
    if note is None:
        numbers = _generated.ESTIMATE[family](values)
    else:
        numbers = _generated.ESTIMATE_WITHOUT_ACTIVATIONS[family](values)
    kv_note = kv_cache_unavailable(config, workload)
    linear_note = linears_unavailable(config)
    seeds = set()
    if kv_note:
        seeds |= _kv_keys(info)
    if linear_note:
        seeds |= _linear_seeds(config, info)
    cut = _QLORA_ONLY if values.get("x_qlora", 0) == 0 else frozenset()
    withheld = _withheld(family, seeds, cut) - _KEPT if seeds else set()
    numbers = {key: numbers[key] for key in info if key in numbers and key not in withheld}
    return Estimate(config, workload, setup, MappingProxyType(numbers), MappingProxyType(info), note,
                    MappingProxyType(values), kv_note, linear_note)


class ParameterCount(Record):
    """An exact parameter count and its named parts (which sum to ``total``), keyed by group.

    ``active`` is the number of parameters one token passes through: the total
    for a dense model, less for a mixture of experts.
    """

    total: int
    breakdown: dict[str, int]
    active: int | None = None
    #: A reader's label for each key of ``breakdown`` (``token_embedding``: "token embedding").
    labels: Mapping[str, str] = MappingProxyType({})

    def __post_init__(self) -> None:
        if sum(self.breakdown.values()) != self.total:
            raise ValueError(f"breakdown must sum to total={self.total}, but it sums to {sum(self.breakdown.values())}")
        if self.active is None:
            object.__setattr__(self, "active", self.total)

    def by_label(self) -> dict[str, int]:
        """The breakdown keyed by the readers' labels, for tables and figures."""
        return {self.labels.get(key, key): n for key, n in self.breakdown.items()}


def count_params(config: ModelConfig) -> ParameterCount:
    """Exact parameter count of ``config``, with a per-group breakdown (groups that are zero left out)."""
    est = estimate(config)
    breakdown = {key.removeprefix("parameters/"): n for key, n in est.under("parameters").items() if n}
    labels = {key: est.label(f"parameters/{key}") for key in breakdown}
    return ParameterCount(total=est["parameters"], breakdown=breakdown, active=est["parameters_active"],
                          labels=MappingProxyType(labels))
