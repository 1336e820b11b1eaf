"""The `escalada` group: `--debug`, `--version`, and the one place where every failure
becomes one line (a user error exits 1, a bug exits 3 with "run with --debug")."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import click

from escalada import __version__
from escalada.errors import EscaladaError
from escalada.errors import printable

if TYPE_CHECKING:
    pass


INTERNAL_ERROR = 3


class Context:
    """The object the group puts on the click context."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug


class EscaladaGroup(click.Group):
    """Turns every failure into one line: a user error exits 1, a bug exits 3.

    Done in the group (not only in `main`) so click's test runner sees exactly
    what a user sees."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # the reader of our output left (`escalada demo | head -2`): not an
            # error of ours. Point stdout at /dev/null so the final flush stays quiet.
            _quiet_stdout()
            ctx.exit(0)
        except EscaladaError as error:
            if debug_enabled(ctx):
                _debug_traceback(error)
            else:
                _fatal("error: ", str(error), error.exit_code)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as error:  # noqa: BLE001 - the one place a bug becomes one line
            if debug_enabled(ctx):
                _debug_traceback(error)
                ctx.exit(INTERNAL_ERROR)
            _fatal(
                "",
                f"internal error: {type(error).__name__}: {error} (run with --debug)",
                INTERNAL_ERROR,
            )
            ctx.exit(INTERNAL_ERROR)


def _debug_traceback(error: BaseException) -> None:
    """With --debug: the whole traceback, as Python would print it, with every secret
    the run resolved scrubbed (an exception's message can carry a URL or a token)."""
    from escalada import redaction

    click.echo(redaction.FILTER.traceback(error), err=True, nl=False)


def _fatal(prefix: str, message: str, exit_code: int) -> None:
    """The line that ends a command, on stderr: as a JSON log record (`"event":
    "fatal"`, with the exit code) when the command logs JSON (`--log-format json`)."""
    from escalada import logs

    if logs.current_format() != "json":
        click.echo(prefix + printable(message), err=True)  # one line, always
        return
    import logging

    record = logging.makeLogRecord(
        {
            "name": "escalada",
            "levelno": logging.ERROR,
            "levelname": "ERROR",
            "msg": message,
            "event": "fatal",
            "exit_code": exit_code,
        }
    )
    click.echo(logs.JsonFormatter().format(record), err=True)


def debug_enabled(ctx: click.Context) -> bool:
    return isinstance(ctx.obj, Context) and ctx.obj.debug


@click.group(cls=EscaladaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="escalada")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Escalation policy as code for Jira Service Management, Zendesk and ServiceNow.

    Policies are YAML in git (default directory: ./policy). Validate them in CI,
    test them, reconcile them into each desk, and run the escalation runner on a
    schedule.
    """
    ctx.obj = Context(debug=debug)
    if debug:
        import logging

        from escalada import redaction

        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        redaction.install_everywhere()  # urllib3's request lines carry paths and queries


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="escalada")


def _quiet_stdout() -> None:
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (click's test runner)
        pass
