"""The revision of a policy: which version of it made an escalation.

The git commit of the policy files when they are committed and unmodified
(`git rev-parse HEAD` of the repository holding them), else a digest of the
files themselves (their paths and bytes), so a runner started from a tarball,
a ConfigMap or a dirty checkout still names what it ran. Both are cut to
`marker.REVISION_LENGTH` hex digits: the marker carries them as a token
(`escalada-rev-3f2a9c0d1b7e`), the audit log as `policy_revision`."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
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


# --- a policy as it is at a revision (simulate's --baseline, validate's --base) -----


def git_toplevel(paths: Sequence[str]) -> Path | None:
    """The root of the git repository holding the first of `paths`; None outside git
    (or without git)."""
    first = Path(paths[0]).resolve()
    where = first if first.is_dir() else first.parent
    try:
        top = _git(str(where), "rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(top.strip()).resolve() if top is not None else None


def resolve_commit(root: Path, revision: str) -> str | None:
    """The full commit `revision` names in the repository at `root`, or None."""
    try:
        commit = _git(str(root), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except (OSError, subprocess.SubprocessError):
        return None
    return commit.strip() if commit else None


def relative_to_root(root: Path, paths: Sequence[str]) -> list[str] | None:
    """`paths` relative to the repository root; None when one lies outside it."""
    try:
        return [str(Path(p).resolve().relative_to(root)) for p in paths]
    except ValueError:
        return None


def unpack_at(root: Path, commit: str, relative: Sequence[str], into: str) -> str | None:
    """Write the files under `relative` as they are at `commit` below `into` (git
    archive); None when done, else git's complaint (the paths are not in it)."""
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", commit, "--", *relative],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if archive.returncode != 0:
        problem = archive.stderr.decode("utf-8", "replace").strip().splitlines()
        return problem[-1] if problem else "git archive failed"
    _unpack(archive.stdout, into)
    return None


def _unpack(data: bytes, into: str) -> None:
    """Unpack git's tar: regular files and directories under `into` only."""
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            target = (Path(into) / member.name).resolve()
            if not target.is_relative_to(Path(into).resolve()):
                continue
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                source = tar.extractfile(member)
                if source is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(source.read())
