"""The second half of a chunk: the written tickets' channel messages go out, then
their pending tokens are cleared (one `clear_pending` call where the desk has it,
else one clearing `apply` per ticket). A token left on the desk is re-sent past
the resend lease (escalada.runner.plan)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime

from escalada.audit import AuditFailed
from escalada.connectors.base import Connector
from escalada.errors import DeskUnavailable
from escalada.errors import EscaladaError
from escalada.notify import Notification
from escalada.notify import NotifyResult
from escalada.runner.failures import describe_internal
from escalada.runner.failures import write_failed
from escalada.runner.halt import Halt
from escalada.runner.options import RunOptions
from escalada.runner.options import Sender
from escalada.runner.plan import Written
from escalada.runner.reports import DeskReport
from escalada.runner.trail import NOT_ESCALATION
from escalada.runner.trail import Trail
from escalada.ticket import Action

log = logging.getLogger("escalada.runner")  # one logger for the whole runner (docs/runner.md)


@dataclass(frozen=True, slots=True)
class Delivery:
    notifier: Sender | None
    trail: Trail
    now: datetime
    options: RunOptions
    stop: Halt

    def flush(
        self,
        connector: Connector,
        written: Sequence[Written],
        report: DeskReport,
        *,
        desk_down: bool = False,
    ) -> None:
        """Send the written tickets' messages, then clear the pending tokens of those
        that some channel took (or may have: never sent again). A ticket no channel
        took keeps its token: a cycle past the resend lease retries it."""
        if not written:
            return
        if self.stop.is_set() and len(written) > 1:
            # stopping: a signal leaves requests a few seconds (then refuses new ones),
            # so each ticket is confirmed as soon as its messages are out: a cut-off
            # leaves at most the ticket in hand in the gap, as before chunks
            for waiting in written:
                self.flush(connector, [waiting], report, desk_down=desk_down)
            return
        to_clear = []
        for waiting, (sent, failed, maybe) in zip(written, self._notify(written), strict=True):
            report.notifications += sent
            report.notify_failures += failed
            if sent == 0 and maybe == 0:
                log.warning(
                    "%s: no channel took the notifications; the pending token stays and a "
                    "cycle %d minutes after this write retries them",
                    waiting.original.key,
                    self.options.resend_after.total_seconds() // 60,
                )
                continue
            to_clear.append(waiting)
        if to_clear:
            self._clear(connector, to_clear, report, desk_down=desk_down)

    def _clear(
        self,
        connector: Connector,
        items: Sequence[Written],
        report: DeskReport,
        *,
        desk_down: bool,
    ) -> None:
        """Clear the items' pending tokens: one `clear_pending` call where the desk has
        it, else one clearing `apply` per ticket. A token left on the desk is re-sent
        past the lease (the gap: those messages go out twice, marked as re-sent)."""
        clear_many = getattr(connector, "clear_pending", None)
        if clear_many is None:
            for n, waiting in enumerate(items):
                try:
                    self._clear_one(connector, waiting, report)
                except DeskUnavailable:
                    self._left_pending(items[n + 1 :], "the desk is unavailable")
                    if desk_down:
                        return
                    raise
            return
        try:
            cleared = {t.key for t in clear_many([w.ticket for w in items])}
        except DeskUnavailable as error:
            report.errors += 1
            self._left_pending(items, str(error))
            if desk_down:
                return
            raise
        except AuditFailed:
            raise
        except Exception as error:  # noqa: BLE001 - the tokens stay; the lease re-sends
            report.errors += 1
            shown = error if isinstance(error, EscaladaError) else describe_internal(error)
            self._left_pending(items, str(shown))
            return
        report.writes += 1
        left = [w for w in items if w.ticket.key not in cleared]
        for waiting in items:
            if waiting.ticket.key in cleared:
                if not waiting.wrote:  # a re-send: this is the ticket's only write
                    report.escalated += 1
                self.trail.action(waiting, _cleared(waiting), "ok")
        if left:
            self._left_pending(left, "the desk did not clear it (edited meanwhile?)")

    def _clear_one(self, connector: Connector, waiting: Written, report: DeskReport) -> None:
        ticket = waiting.original
        cleared = _cleared(waiting)
        try:
            connector.apply(waiting.ticket, [cleared])
        except Exception as error:  # noqa: BLE001 - one ticket must not stop the desk
            write_failed(self.trail, ticket, error, report)
            return
        if not waiting.wrote:  # a re-send: this is the ticket's only write
            report.escalated += 1
        report.writes += 1
        self.trail.action(waiting, cleared, "ok")

    def _left_pending(self, items: Sequence[Written], why: str) -> None:
        for waiting in items:
            log.warning(
                "%s: notifications sent but the pending token is not cleared (%s); a cycle "
                "%d minutes after this write sends them again, marked as re-sent",
                waiting.original.key,
                why,
                self.options.resend_after.total_seconds() // 60,
            )
            self.trail.action(waiting, _cleared(waiting), f"failed: {why}")

    def _notify(self, written: Sequence[Written]) -> list[tuple[int, int, int]]:
        """Send each written ticket's actions to each of their channels, all at once
        through `send_many` where the notifier has it: per ticket, (messages sent,
        messages failed, of those failed, the ones that may have been delivered:
        never sent again)."""
        items: list[tuple[int, Action, str, Notification]] = []
        for n, waiting in enumerate(written):
            ticket, decision = waiting.original, waiting.decision
            for action in waiting.channel_actions:
                for channel in action.channels:
                    message = Notification(
                        desk=ticket.desk,
                        ticket=ticket.key,
                        url=ticket.url,
                        title=ticket.title,
                        path=decision.path or ticket.escalation.path,
                        level=decision.level,
                        team=action.team,
                        action=action.type,
                        reason=action.reason,
                        at=self.now,
                    )
                    items.append((n, action, channel, message))
        results: list[NotifyResult | None]
        send_many = getattr(self.notifier, "send_many", None)
        if self.notifier is None:
            results = [None] * len(items)
        elif send_many is not None:
            results = list(send_many([(channel, message) for _, _, channel, message in items]))
        else:
            results = [self.notifier.send(channel, message) for _, _, channel, message in items]
        counts = [[0, 0, 0] for _ in written]
        for (n, action, channel, _), result in zip(items, results, strict=True):
            ticket, decision = written[n].original, written[n].decision
            if result is None:
                result_text, ok = "not sent: no notifier", False
            else:
                ok = result.ok
                result_text = "sent" if ok else f"not sent: {result.error}"
                if result.maybe_delivered:
                    counts[n][2] += 1
                    result_text = f"unconfirmed: {result.error}"
            if ok:
                counts[n][0] += 1
            else:
                counts[n][1] += 1
                log.warning("%s: channel %s: %s", ticket.key, channel, result_text)
            self.trail.record(
                ticket,
                decision.level,
                f"{action.type}:{channel}",
                action.reason,
                result_text,
                path=decision.path or ticket.escalation.path,
                decision=decision,
                escalation=decision.escalated and action.type not in NOT_ESCALATION,
            )
        return [(sent, failed, maybe) for sent, failed, maybe in counts]


def _cleared(waiting: Written) -> Action:
    """The mark that confirms a written ticket's messages: its token cleared."""
    state = replace(waiting.ticket.escalation, pending=False)
    return Action("mark", "notifications sent", state=state)
