"""`--baseline`: the policy to compare against, a path or a git revision.

A revision (`origin/main`, a tag, a commit) is read from the git repository
that holds the new policy: the same policy paths, as they are at that
revision (`git archive`), unpacked into a temporary directory and loaded like
any policy. A pull-request check needs the base branch fetched
(actions/checkout with `fetch-depth: 0`)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from escalada.errors import EscaladaError
from escalada.marker import REVISION_LENGTH
from escalada.policy.model import Policy
from escalada.policy.validate import load_policy
from escalada.revision import git_toplevel
from escalada.revision import policy_revision
from escalada.revision import relative_to_root
from escalada.revision import resolve_commit
from escalada.revision import unpack_at


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
    root = git_toplevel(policy_paths)
    if root is None:
        raise EscaladaError(
            f"--baseline: {policy_paths[0]} is not in a git repository, so a revision "
            "cannot be read",
            hint="give the baseline policy as a path instead",
        )
    commit = resolve_commit(root, spec)
    if commit is None:
        raise EscaladaError(
            f"--baseline {spec}: neither a policy path nor a revision of the git repository "
            f"at {root}",
            hint="give a policy directory, or a revision such as origin/main (in CI, check "
            "out with fetch-depth: 0 so the base branch is there)",
        )
    relative = relative_to_root(root, policy_paths) or [str(p) for p in policy_paths]
    with tempfile.TemporaryDirectory(prefix="escalada-baseline-") as scratch:
        problem = unpack_at(root, commit, relative, scratch)
        if problem is not None:
            raise EscaladaError(
                f"--baseline {spec}: the policy paths {', '.join(relative)} are not in that "
                f"revision ({problem})",
                hint="a policy that moved: give the old policy's path as --baseline",
            )
        policy = load_policy([str(Path(scratch) / rel) for rel in relative])
    return Baseline(policy, spec, commit[:REVISION_LENGTH])
