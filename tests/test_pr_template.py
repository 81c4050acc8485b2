"""The pull request template merge (pure text in, text out)."""
from __future__ import annotations

from sess import pr_template

SECTIONS_NONE: list[tuple[str, str | None]] = [("Summary", None), ("Testing", None), ("Notes", None)]


def test_headings_any_level_any_case_replace_comment_only_content() -> None:
    template = "# summary:\n<!-- what -->\n<!-- why -->\n#### Testing ####\n\n"
    merged = pr_template.merge(template, [("Summary", "S"), ("Testing", "T"), ("Notes", None)])
    assert merged == "# summary:\n\nS\n\n#### Testing ####\n\nT\n"


def test_real_content_is_kept_after_the_text() -> None:
    merged = pr_template.merge("## Testing\n- [ ] unit\n", [("Testing", "ran it")])
    assert merged == "## Testing\n\nran it\n\n- [ ] unit\n"


def test_headings_in_code_fences_and_comments_do_not_count() -> None:
    template = "```\n## Summary\n```\n<!--\n## Summary\n-->\n"
    merged = pr_template.merge(template, [("Summary", "S")])
    assert merged == template + "\n## Summary\n\nS\n"


def test_a_similar_heading_is_not_the_one() -> None:
    merged = pr_template.merge("### How was this tested?\n<!-- -->\n", [("Testing", "T")])
    assert merged == "### How was this tested?\n<!-- -->\n\n## Testing\n\nT\n"


def test_without_texts_the_template_is_unchanged() -> None:
    template = "## Summary\n<!-- fill me -->\n\n## Notes\n"
    assert pr_template.merge(template, SECTIONS_NONE) == template
