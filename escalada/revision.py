"""The revision of a policy: which version of it made an escalation.

The git commit of the policy files when they are committed and unmodified
(`git rev-parse HEAD` of the repository holding them), else a digest of the
files themselves (their paths and bytes), so a runner started from a tarball,
a ConfigMap or a dirty checkout still names what it ran. Both are cut to
`marker.REVISION_LENGTH` hex digits: the marker carries them as a token
(`escalada-rev-3f2a9c0d1b7e`), the audit log as `policy_revision`."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from escalada.marker import REVISION_LENGTH
from escalada.policy.load.files import policy_files


def policy_revision(paths: Sequence[str]) -> str:
    """The git commit (12 hex digits) when every policy file is committed as it is,
    else the digest of the files."""
    files, _ = policy_files(paths)
    commit = git_commit(files)
    return commit if commit is not None else policy_digest(files)


def policy_digest(files: Sequence[str]) -> str:
    """SHA-256 over the files' names (relative to their common directory) and bytes."""
    digest = hashlib.sha256()
    resolved = sorted(str(Path(f).resolve()) for f in files)
    root = os.path.commonpath(resolved) if resolved else ""
    if len(resolved) == 1:
        root = str(Path(root).parent)
    for name in resolved:
        digest.update(os.path.relpath(name, root).replace(os.sep, "/").encode("utf-8"))
        digest.update(b"\0")
        try:
            digest.update(Path(name).read_bytes())
        except OSError:
            digest.update(b"(unreadable)")
        digest.update(b"\0")
    return digest.hexdigest()[:REVISION_LENGTH]


def git_commit(files: Sequence[str]) -> str | None:
    """HEAD of the repository holding the files when none of them differs from it
    (or is untracked); None when they are not in git, or git is not installed."""
    if not files:
        return None
    where = str(Path(files[0]).resolve().parent)
    try:
        head = _git(where, "rev-parse", "HEAD")
        if head is None:
            return None
        dirty = _git(where, "status", "--porcelain", "--", *(str(Path(f).resolve()) for f in files))
    except (OSError, subprocess.SubprocessError):
        return None
    if dirty is None or dirty.strip():
        return None
    return head.strip()[:REVISION_LENGTH]


def _git(where: str, *args: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", where, *args], capture_output=True, text=True, check=False, timeout=30
    )
    return done.stdout if done.returncode == 0 else None
