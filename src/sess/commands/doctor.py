"""`sess doctor [--json]`: run the read-only checks and print one line per finding with what to run.

Exit 0 when nothing is wrong (findings of severity `info` do not count), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os

from sess import render
from sess.commands import add_json


def parser_doctor(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    doctor = commands.add_parser(
        "doctor", help="check the database, unfinished ends, branches, gh, the tracker and the configuration",
        description="Check, without changing anything, what sess depends on; one line per finding with "
                    "what fixes it. Exit 0 when nothing is wrong, 1 otherwise.")
    add_json(doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from sess.state import state_dir
    from sess.workflows import doctor

    try:
        cwd: str | None = os.getcwd()
    except OSError:  # the current directory was deleted: the checks that need none still run
        cwd = None
    report = doctor.run(doctor.Context(state_dir(), cwd))
    if args.json:
        render.emit_json({"ok": report.ok, "findings": [
            {"check": f.check, "problem": f.problem, "fix": f.fix or None, "severity": f.severity}
            for f in report.findings]})
    else:
        render.print_lines(_lines(report))
    return 0 if report.ok else 1


def _lines(report: doctor_types.Report) -> list[str]:
    counts = {severity: sum(1 for f in report.findings if f.severity == severity)
              for severity in ("error", "warning", "info")}
    summary = [render.plural(count, severity) for severity, count in counts.items() if count and severity != "info"]
    first = f"Checked {', '.join(report.checks)}"
    lines = [render.DOT.join([first, *(summary or ["nothing wrong"])])]
    width = max((len(f.severity) for f in report.findings), default=0)
    for finding in report.findings:
        line = f"{finding.severity:<{width}}  {finding.check}: {finding.problem}"
        if finding.fix:
            line += f"{render.DOT}{finding.fix}"
        lines.append(line)
    return lines


TYPE_CHECKING = False
if TYPE_CHECKING:
    from sess.workflows import doctor as doctor_types
