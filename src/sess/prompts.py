"""Interactive questions. questionary is imported only when a question is actually asked.

Every question has a flag; `require` turns a missing one into a usage error when no terminal
can answer, so nothing ever waits for input that cannot come.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from sess.errors import SessError, UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")



def load() -> None:
    """Import the question library now (a question follows), while something else is awaited;
    with what prompt_toolkit imports only once a question is built (its terminal input) and run
    (ctypes, to put Ctrl-C's handler back), which would otherwise come after the wait."""
    import ctypes  # noqa: F401

    import prompt_toolkit.input.vt100  # noqa: F401
    import questionary  # noqa: F401


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def require(flag: str, what: str) -> None:
    """Fail with exit 2 naming the flag, unless a terminal can answer instead."""
    if not interactive():
        raise UsageError(f"{what}: pass {flag}", "No terminal to ask on; every choice has a flag (see --help).")


def select(message: str, choices: Sequence[tuple[str, T]], default: T | None = None, search: bool = False) -> T:
    import questionary

    options = [questionary.Choice(title=label, value=index) for index, (label, _) in enumerate(choices)]
    # No default: the first choice, not one whose value happens to be None (such as "quit").
    start = None if default is None else next((i for i, (_, value) in enumerate(choices) if value == default), None)
    question = questionary.select(
        message,
        choices=options,
        default=options[start] if start is not None else None,
        use_search_filter=search,
        use_jk_keys=not search,
        instruction="(type to filter, arrows to move)" if search else None,
    )
    index: int = _ask(question)
    return choices[index][1]


def text(message: str, default: str = "", required: bool = True,
         check: Callable[[str], str | None] | None = None) -> str:
    """Ask for a line. A default is shown and taken on Enter, never pre-filled as text to edit
    (typing would append to it). `check` returns what is wrong with an answer, and it is asked again."""
    import questionary

    from sess.render import safe

    def validate(value: str) -> bool | str:
        answer = value.strip() or default
        if not answer:
            return not required or "an answer is needed"
        return (check(answer) if check else None) or True

    shown = safe(default if len(default) <= 60 else default[:57] + "...")
    answer = str(_ask(questionary.text(message, validate=validate, key_bindings=_enter_takes(default),
                                       instruction=f"(default: {shown})" if default else None))).strip()
    return answer or default


def _enter_takes(default: str) -> Any:
    """Enter on an empty line puts `default` in it before the answer is taken, so that the line
    left on the terminal shows the value taken, not an empty answer."""
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter", eager=True)
    def _(event: Any) -> None:
        buffer = event.current_buffer
        if default and not buffer.text.strip():
            buffer.text = default
        buffer.validate_and_handle()

    return bindings


def confirm(message: str, default: bool = False) -> bool:
    import questionary

    # auto_enter off: y or n is a choice that Enter takes, as in git and gh; a key alone would
    # answer here and leave the habitual Enter to answer the next question.
    return bool(_ask(questionary.confirm(message, default=default, auto_enter=False)))


def _ask(question: Any) -> Any:
    _drop_typed_ahead()
    # unsafe_ask lets Ctrl-C arrive as KeyboardInterrupt, so the caller can roll back.
    answer = question.unsafe_ask()
    if answer is None:
        raise SessError("cancelled; nothing was changed")
    return answer


def _drop_typed_ahead() -> None:
    """Keys typed before a question appears never answer it: they were meant for something else
    (the previous question, the shell), so what waits unread on the terminal is discarded."""
    import contextlib
    import termios

    with contextlib.suppress(OSError, termios.error, ValueError):  # not a terminal: nothing to drop
        termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
