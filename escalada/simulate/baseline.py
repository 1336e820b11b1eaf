"""`--baseline`: the policy to compare against, a path or a git revision.

A revision (`origin/main`, a tag, a commit) is read from the git repository
that holds the new policy: the same policy paths, as they are at that
revision (`git archive`), unpacked into a temporary directory and loaded like
any policy. A pull-request check needs the base branch fetched
(actions/checkout with `fetch-depth: 0`)."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from escalada.errors import EscaladaError
from escalada.marker import REVISION_LENGTH
from escalada.policy.model import Policy
from escalada.policy.validate import load_policy
from escalada.revision import policy_revision


@dataclass(frozen=True, slots=True)
class Baseline:
    policy: Policy
    name: str
    revision: str


def load_baseline(spec: str, policy_paths: Sequence[str]) -> Baseline:
    """The baseline policy: `spec` as a path when one exists, else as a git revision
    of the repository holding `policy_paths`."""
    if Path(spec).exists():
        return Baseline(load_policy([spec]), spec, policy_revision([spec]))
    root = _toplevel(policy_paths)
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if commit is None:
        raise EscaladaError(
            f"--baseline {spec}: neither a policy path nor a revision of the git repository "
            f"at {root}",
            hint="give a policy directory, or a revision such as origin/main (in CI, check "
            "out with fetch-depth: 0 so the base branch is there)",
        )
    relative = [str(Path(p).resolve().relative_to(root)) for p in policy_paths]
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", commit.strip(), "--", *relative],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        problem = archive.stderr.decode("utf-8", "replace").strip().splitlines()
        raise EscaladaError(
            f"--baseline {spec}: the policy paths {', '.join(relative)} are not in that "
            f"revision ({problem[-1] if problem else 'git archive failed'})",
            hint="a policy that moved: give the old policy's path as --baseline",
        )
    with tempfile.TemporaryDirectory(prefix="escalada-baseline-") as scratch:
        _unpack(archive.stdout, scratch)
        policy = load_policy([str(Path(scratch) / rel) for rel in relative])
    return Baseline(policy, spec, commit.strip()[:REVISION_LENGTH])


def _toplevel(policy_paths: Sequence[str]) -> Path:
    first = Path(policy_paths[0]).resolve()
    where = first if first.is_dir() else first.parent
    try:
        top = _git(where, "rev-parse", "--show-toplevel")
    except OSError:
        top = None
    if top is None:
        raise EscaladaError(
            f"--baseline: {policy_paths[0]} is not in a git repository, so a revision "
            "cannot be read",
            hint="give the baseline policy as a path instead",
        )
    return Path(top.strip()).resolve()


def _git(where: Path, *args: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(where), *args], capture_output=True, text=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


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
