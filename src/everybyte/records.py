"""A small frozen record type for the classes the command line loads.

:mod:`dataclasses` imports :mod:`inspect` (and with it ``ast``, ``dis`` and
``tokenize``), which costs the command line a fifth of its start-up time.  The
records the command line needs (the model config, the workload and setup, the
family registry, the estimate) are built on :class:`Record` instead: fields
come from the class annotations, in order, with the class attribute as the
default; instances are frozen, compare and hash by their fields, print like
dataclasses and have :meth:`Record.replace` and :meth:`Record.as_dict`.
Classes the command line never loads (SymPy terms, errata) stay dataclasses.
"""

from __future__ import annotations

_MISSING = object()


class Record:
    """Frozen record: ``Class(field=value, ...)``; ``__post_init__`` validates and may normalise fields."""

    _fields: tuple[str, ...] = ()
    _defaults: dict = {}
    #: Fields left out of ``==`` and ``hash`` (a config's display name, say).
    _not_compared: frozenset = frozenset()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fields = list(cls._fields)
        defaults = dict(cls._defaults)
        for name in cls.__dict__.get("__annotations__", {}):
            if name.startswith("_"):
                continue
            if name not in fields:
                fields.append(name)
            if name in cls.__dict__:
                defaults[name] = cls.__dict__[name]
        cls._fields = tuple(fields)
        cls._defaults = defaults

    def __init__(self, *args, **kwargs):
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(self._fields)} arguments, got {len(args)}")
        values = dict(zip(self._fields, args))
        for name, value in kwargs.items():
            if name not in self._fields:
                raise TypeError(f"{type(self).__name__} has no field {name!r}; its fields are {', '.join(self._fields)}")
            if name in values:
                raise TypeError(f"{type(self).__name__} got {name!r} twice")
            values[name] = value
        for name in self._fields:
            value = values.get(name, self._defaults.get(name, _MISSING))
            if value is _MISSING:
                raise TypeError(f"{type(self).__name__} needs {name!r}")
            object.__setattr__(self, name, value)
        self.__post_init__()

    def __post_init__(self) -> None:
        pass

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is frozen: make a new one with .replace({name}=...)")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is frozen")

    def _key(self) -> tuple:
        return tuple(getattr(self, f) for f in self._fields if f not in self._not_compared)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash((type(self).__name__, self._key()))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self._fields)})"

    def replace(self, **changes):
        """A new record with some fields changed (validated again)."""
        return type(self)(**{**self.as_dict(), **changes})

    def as_dict(self) -> dict:
        """The fields and their values, in order."""
        return {f: getattr(self, f) for f in self._fields}
