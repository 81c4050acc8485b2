"""`NamedTuple` as sess's modules use it at run time: typing.NamedTuple's class syntax and
behaviour, without what it costs every command at start-up (issue 10: start as fast as the git
underneath). Importing typing takes about 2 ms, and typing.NamedTuple compiles each class's
constructor (collections.namedtuple's eval) when its module loads: about 50 µs for each of some
forty classes, most of which a given command never builds. Here a class gets its constructor
from collections.namedtuple the first time one of its records is made.

Type checkers see typing.NamedTuple itself, so `from sess.records import NamedTuple` is checked
exactly as `from typing import NamedTuple` is.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from _collections import _tuplegetter

    class _RecordType(type):
        """Makes `class Name(NamedTuple): field: type = default ...` a tuple with named fields."""

        def __new__(mcls, name, bases, namespace):
            if namespace.get("_root") or NamedTuple not in bases:
                return super().__new__(mcls, name, bases, namespace)  # the base, or a plain subclass
            fields = tuple(namespace.get("__annotations__", {}))
            defaults = {field: namespace.pop(field) for field in fields if field in namespace}
            for field, following in zip(fields, fields[1:], strict=False):
                if field in defaults and following not in defaults:
                    raise TypeError(f"Non-default namedtuple field {following} cannot follow default field"
                                    f"{'s' if len(defaults) > 1 else ''} {', '.join(defaults)}")
            namespace.update(__slots__=(), _fields=fields, _field_defaults=defaults, __match_args__=fields)
            for index, field in enumerate(fields):
                namespace[field] = _tuplegetter(index, f"Alias for field number {index}")
            return super().__new__(mcls, name, bases, namespace)

    class NamedTuple(tuple, metaclass=_RecordType):
        _root = True
        __slots__ = ()
        _fields = ()
        _field_defaults = {}

        def __new__(cls, *args, **kwargs):
            # The first record of this class: its constructor, compiled once as namedtuple compiles it.
            import collections

            model = collections.namedtuple(cls.__name__, cls._fields, defaults=list(cls._field_defaults.values()))
            cls.__new__ = staticmethod(model.__new__)
            return cls.__new__(cls, *args, **kwargs)

        @classmethod
        def _make(cls, iterable):
            result = tuple.__new__(cls, iterable)
            if len(result) != len(cls._fields):
                raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
            return result

        def _replace(self, **changes):
            result = self._make(map(changes.pop, self._fields, self))
            if changes:
                raise ValueError(f"Got unexpected field names: {list(changes)!r}")
            return result

        def _asdict(self):
            return dict(zip(self._fields, self, strict=True))

        def __repr__(self):
            return f"{type(self).__name__}({', '.join(f'{n}={v!r}' for n, v in zip(self._fields, self, strict=True))})"

        def __getnewargs__(self):
            return tuple(self)
