"""`escalada test`: run the policy's PolicyTest documents (the engine's runner,
`escalada.engine.policytests`) and print the failures and `N passed, M failed`."""

from __future__ import annotations

from collections.abc import Sequence

import click

from escalada.engine.policytests import TestResult


def main(paths: Sequence[str], *, verbose: bool, strict: bool = False) -> int:
    """0 when every test passed, 1 otherwise (and with `strict`, when there is none)."""
    from escalada.engine.policytests import run_tests
    from escalada.policy.validate import load_policy

    results = run_tests(load_policy(paths))
    click.echo(render(results, verbose=verbose).rstrip("\n"))
    if not results:
        click.echo(
            f"{'error' if strict else 'warning'}: no PolicyTest documents in "
            f"{', '.join(paths)} (write tests beside the policy, e.g. in tests/; "
            "see docs/policy-language.md)",
            err=True,
        )
        return 1 if strict else 0
    return 0 if all(result.passed for result in results) else 1


def render(results: list[TestResult], *, verbose: bool = False) -> str:
    """Each failure as `FILE:LINE:COL: test NAME: WHAT: expected X, got Y`; last line
    `N passed, M failed`."""
    lines = []
    for result in results:
        head = f"{result.test.where}: test {result.test.name}"
        if result.error is not None:
            lines.append(f"{head}: {result.error}")
        for m in result.mismatches:
            lines.append(f"{head}: {m.what}: expected {m.expected}, got {m.got}")
        if result.mismatches and result.decision is not None:
            by_reason: dict[str, list[str]] = {}
            for action in result.decision.actions:
                by_reason.setdefault(action.reason, []).append(action.type)
            for reason, types in by_reason.items():
                lines.append(f"    {', '.join(types)}: {reason}")
        if verbose and result.passed:
            lines.append(f"{head}: ok")
    passed = sum(1 for r in results if r.passed)
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(lines) + "\n"
