"""sess.records.NamedTuple behaves as typing.NamedTuple does, for the ways sess uses it."""
from __future__ import annotations

import copy
import pickle
import typing
from typing import Any

import pytest

from sess.records import NamedTuple


class Ours(NamedTuple):
    """A record."""

    a: int
    b: str = "x"
    c: tuple[int, ...] = ()

    @property
    def double(self) -> int:
        return self.a * 2


class Theirs(typing.NamedTuple):
    """A record."""

    a: int
    b: str = "x"
    c: tuple[int, ...] = ()

    @property
    def double(self) -> int:
        return self.a * 2


def _same(ours: Any, theirs: Any) -> None:
    assert repr(ours).replace("Ours", "Theirs") == repr(theirs)
    assert tuple(ours) == tuple(theirs) and ours == theirs and hash(ours) == hash(theirs)


def test_made_read_and_replaced_alike() -> None:
    for args, kwargs in [((1,), {}), ((2, "y"), {}), ((), {"a": 3, "c": (1, 2)}), ((4,), {"b": "z"})]:
        ours, theirs = Ours(*args, **kwargs), Theirs(*args, **kwargs)
        _same(ours, theirs)
        assert (ours.a, ours.b, ours.c, ours.double) == (theirs.a, theirs.b, theirs.c, theirs.double)
        _same(ours._replace(b="new"), theirs._replace(b="new"))
        assert ours._asdict() == theirs._asdict()
    assert Ours._fields == Theirs._fields and Ours._field_defaults == Theirs._field_defaults
    assert Ours.__match_args__ == Theirs.__match_args__ and Ours.__doc__ == Theirs.__doc__
    assert isinstance(Ours(1), tuple) and Ours(1) < Ours(2)
    _same(Ours._make([5, "q", ()]), Theirs._make([5, "q", ()]))


def test_copied_and_pickled() -> None:
    record = Ours(1, "b", (2,))
    assert copy.copy(record) == record and copy.deepcopy(record) == record
    assert pickle.loads(pickle.dumps(record)) == record and type(pickle.loads(pickle.dumps(record))) is Ours


@pytest.mark.parametrize("call", [lambda cls: cls(), lambda cls: cls(1, "b", (), 4), lambda cls: cls(1, d=2),
                                  lambda cls: cls(1)._replace(d=1), lambda cls: cls._make([1])])
def test_refused_alike(call: Any) -> None:
    with pytest.raises(Exception) as theirs:
        call(Theirs)
    with pytest.raises(type(theirs.value)):
        call(Ours)


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="Non-default namedtuple field b"):
        class Bad(NamedTuple):
            a: int = 1
            b: int  # type: ignore[misc]


def test_a_subclass_adds_methods_not_fields() -> None:
    class More(Ours):
        def triple(self) -> int:
            return self.a * 3

    assert More(2).triple() == 6 and More._fields == ("a", "b", "c") and repr(More(2)) == "More(a=2, b='x', c=())"


def test_no_module_of_sess_imports_typing_when_it_runs() -> None:
    """typing only for the type checker (under `if TYPE_CHECKING:`): at run time it would cost
    every command its import, ~2 ms of a start that must keep up with git (issue 10)."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "src" / "sess"
    offenders = []
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        guarded = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                   for statement in block.body for node in ast.walk(statement)}
        for node in ast.walk(tree):
            names = ([node.module] if isinstance(node, ast.ImportFrom) else
                     [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            if "typing" in names and id(node) not in guarded:
                offenders.append(f"{path.relative_to(src)}:{node.lineno}")
    assert offenders == []
