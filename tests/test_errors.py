"""What a failed git or gh call says in sess's one-line error."""
from __future__ import annotations

from sess.errors import CommandError

CHECKOUT = """error: The following untracked working tree files would be overwritten by checkout:
\tconfig/app.yml
\tnotes.txt
Please move or remove them before you switch branches.
Aborting
"""

PUSH = """remote: pushes are closed today
To /tmp/origin.git
 ! [remote rejected] feature/x -> feature/x (pre-receive hook declined)
error: failed to push some refs to '/tmp/origin.git'
"""


def test_a_sentence_ending_in_a_colon_keeps_the_files_it_lists() -> None:
    error = CommandError(["git", "checkout", "feature/x"], 1, "", CHECKOUT)
    assert error.detail == ("error: The following untracked working tree files would be overwritten by checkout: "
                            "config/app.yml, notes.txt")


def test_a_long_listing_is_cut_and_counted() -> None:
    files = "".join(f"\tfile{n}.txt\n" for n in range(7))
    stderr = "error: Your local changes to the following files would be overwritten by checkout:\n" + files
    detail = CommandError(["git", "checkout", "x"], 1, "", stderr).detail
    assert detail.endswith("checkout: file0.txt, file1.txt, file2.txt and 4 more")


def test_the_rejected_ref_line_is_preferred_for_a_push() -> None:
    detail = CommandError(["git", "push"], 1, "", PUSH).detail
    assert detail == "! [remote rejected] feature/x -> feature/x (pre-receive hook declined)"


def test_without_a_marker_the_first_line_is_used() -> None:
    gh_failure = CommandError(["gh", "pr", "create"], 1, "", "HTTP 502: Bad Gateway\nretry\n")
    assert gh_failure.detail == "HTTP 502: Bad Gateway"
    assert CommandError(["git", "x"], 3, "", "").detail == "exit status 3"
