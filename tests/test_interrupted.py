"""Ctrl-C is never a failure a broad `except SessError` can take for a warning and go on from:
Interrupted is a KeyboardInterrupt, not a SessError; the CLI still ends with exit 130."""
from __future__ import annotations

import pytest

from sess.errors import Interrupted, SessError
from sess.workflows.common import Rollback


def test_a_ctrl_c_in_a_rolled_back_step_passes_a_broad_except_sess_error() -> None:
    undone: list[str] = []
    went_on = False
    with pytest.raises(Interrupted) as caught:
        try:
            rollback = Rollback()
            with rollback.on_failure("interrupted; everything is back as it was"):
                rollback.push("put back", lambda: undone.append("put back"))
                raise KeyboardInterrupt  # what Ctrl-C raises mid-step
        except SessError:  # a step whose failure is only a warning
            went_on = True
    assert not went_on
    assert undone == ["put back"]
    assert caught.value.message == "interrupted; everything is back as it was"
    assert not isinstance(caught.value, SessError) and isinstance(caught.value, KeyboardInterrupt)


def test_the_cli_turns_interrupted_into_exit_130(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from sess import cli

    def interrupted(argv: list[str]) -> int:
        raise Interrupted("interrupted; everything is back as it was")

    monkeypatch.setattr(cli, "_run", interrupted)
    assert cli.main(["status"]) == 130
    assert capsys.readouterr().err == "Error: interrupted; everything is back as it was\n"
