"""Compact durations as STYLE.md writes them: `2h34m`, `45m12s`, `30s`.

A module of its own, importing nothing, because `sess prompt` formats one on every shell prompt.
"""

from __future__ import annotations


def duration(seconds: float) -> str:
    """2h34m, 45m12s, 30s: the smaller unit always shown, no padding."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
