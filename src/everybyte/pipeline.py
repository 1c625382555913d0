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
            for key, label, unit, tags, section, _ in _generated.TERMS[family]}


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
    """Why the KV-cache term (keys and values of every layer, every token) does not hold, or ``None``.

    It holds where every layer attends with h_kv key and value heads of width
    d_head to all the tokens: not for state-space, DeltaNet or convolution
    layers, not for latent attention, and not once a sequence reaches a
    sliding window or an attention chunk, whose layers keep fewer tokens
    (the serving chapter counts those).
    """
    family = config.family
    if family.no_kv_cache:
        return f"the KV cache of {config.model_type} is not this formula: {family.no_kv_cache}"
    counts = config.layer_counts()
    for kind, window, name in (("L_slide", config.sliding_window, "sliding window"),
                               ("L_chunk", config.attention_chunk, "attention chunk")):
        if counts[kind] and window is not None and workload.seq >= window:
            return (f"{counts[kind]} layers of {config.model_type} keep only a {name} of {window} tokens, and the "
                    f"sequence has {workload.seq}: their cache is not yet counted")
    return None


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

    def __getitem__(self, key: str) -> int:
        if key not in self.bytes:
            note = f" ({self.activations_note})" if self.activations_note else ""
            raise KeyError(f"{key!r} is not a term of this estimate{note}")
        return self.bytes[key]

    def __contains__(self, key: str) -> bool:
        return key in self.bytes

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
    values = symbol_values(config, workload, setup)
    note = activations_unavailable(config, setup)
    if note is None:
        numbers = _generated.ESTIMATE[family](values)
    else:
        numbers = _generated.ESTIMATE_WITHOUT_ACTIVATIONS[family](values)
    kv_note = kv_cache_unavailable(config, workload)
    numbers = {key: numbers[key] for key in info if key in numbers and not (kv_note and key == "kv_cache")}
    return Estimate(config, workload, setup, MappingProxyType(numbers), MappingProxyType(info), note,
                    MappingProxyType(values), kv_note)


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
