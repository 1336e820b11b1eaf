"""One cycle of the polling runner: for each desk, candidates -> decisions ->
actions, with notifications, an audit trail and a summary.

Exactly-once, without a database: the escalation state is written on the
ticket in the same write as the escalation itself (`mark` travels with the
comment and the assignment), so a rerun after a crash sees what was done. The
channel notifications of an escalation are made crash-safe by the marker's
`pending` token: it is written with the escalation, the notifications go out,
and the token is cleared afterwards. A desk's due tickets go in chunks
(`RunOptions.batch`, 100): each ticket of the chunk is written (one `apply`),
then the chunk's messages go out (`send_many` where the notifier has it), then
one `clear_pending` call clears the tokens of the tickets whose messages went
out (one clearing `apply` per ticket where the desk lacks the capability). A run
that dies in between leaves the tokens, and a later run sends those messages
then, once a token is older than `RunOptions.resend_after` (a younger token may
belong to a runner that is sending right now: re-sending at once would announce
twice). A send that reaches no channel at all keeps the token too, so it is
retried. A stop, the cycle's budget or a desk gone down mid-chunk first sends
and clears what the chunk has written. The one gap: when the clearing does not
land after messages went out (the process dies in between, the desk fails the
clearing call, or leaves a ticket out because someone edited it in that
second), the messages already sent go out once more, marked as re-sent. It
covers at most the tickets of one chunk: those whose messages had gone out and
whose clearing had not landed. No message is ever lost.

The package, by role: `options` (what a cycle is given), `reports` (what it
returns), `cycle` (run_cycle: the desks and each desk's flow), `reads` (the read
before the writes), `plan` (what a ticket is due), `writes` (a chunk's writes,
one at a time or several in flight), `delivery` (the chunk's messages, then the
pending tokens cleared), `trail` (the audit records), `failures` (how a failure
is told), `halt` (the stop and the budget). tests/runner/test_exactly_once.py
kills a run at every effect to prove the above.
"""

from __future__ import annotations

from escalada.runner.cycle import run_cycle
from escalada.runner.options import BATCH
from escalada.runner.options import CYCLE_BUDGET
from escalada.runner.options import RESEND_AFTER
from escalada.runner.options import ConnectFn
from escalada.runner.options import RunOptions
from escalada.runner.options import Sender
from escalada.runner.options import select_desks
from escalada.runner.reports import CycleReport
from escalada.runner.reports import DeskReport
from escalada.runner.writes import WRITING_THREADS

__all__ = [
    "BATCH",
    "CYCLE_BUDGET",
    "RESEND_AFTER",
    "WRITING_THREADS",
    "ConnectFn",
    "CycleReport",
    "DeskReport",
    "RunOptions",
    "Sender",
    "run_cycle",
    "select_desks",
]
