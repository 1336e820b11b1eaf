"""The `escalada` command line: `group` (the group and its one error handler),
`options` (the shared option types), and the commands by what they work on
(`policy`, `desk`, `analysis`). Each command parses its options, calls one core
function (imported inside the command, so `--help` and `validate` stay fast and
never import a desk client library), prints, and returns an exit code.

Exit codes: 0 success; 1 what the command checks failed; 2 usage error (and
`plan --detailed-exitcode`: changes pending); 3 internal error (a bug)."""

from __future__ import annotations

from escalada.cli import analysis as analysis
from escalada.cli import desk as desk
from escalada.cli import policy as policy
from escalada.cli.group import cli as cli
from escalada.cli.group import main as main
from escalada.cli.options import DurationType as DurationType
from escalada.cli.options import ShardType as ShardType
from escalada.cli.options import TimeType as TimeType
