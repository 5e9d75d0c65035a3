"""One step of the daemon's work at a time: poll, remind, deliver. The loop decides when.

A Service is given everything it works with: the settings, the store, the renderer, and its ports
(a way to open the mailbox, a way to get a sender, a clock). ``runtime.wiring.build_service``
gives it the real IMAP and SMTP adapters; tests may give it fakes or the test bed. Errors are the
caller's to handle: the loop logs them, notes them for ``keepwarm status`` and retries later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from keepwarm.app import bccs, drafts, outbox, reminders, thanks
from keepwarm.app.answers import release_held
from keepwarm.app.outbox import Letter
from keepwarm.app.overview import queue as queue_overview
from keepwarm.app.poll import PollReport, Progress
from keepwarm.app.poll import run as run_poll
from keepwarm.app.settings import Settings
from keepwarm.domain.outbox import OutboxKind
from keepwarm.domain.timing import run_is_due
from keepwarm.ports import DraftsFolder, MailSender, MailSource
from keepwarm.render.engine import Renderer
from keepwarm.store import Store

log = logging.getLogger("keepwarm.service")
NOTICE = OutboxKind.NOTICE


class Service:
    """The daemon's steps over one store."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        renderer: Renderer,
        *,
        mailbox: Callable[[], MailSource],
        sender: Callable[[], MailSender],
        clock: Callable[[], datetime],
        more_mailboxes: Mapping[str, Callable[[], MailSource]] | None = None,
        drafts_folder: Callable[[], DraftsFolder] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.renderer = renderer
        self._mailbox = mailbox
        # The further mailboxes, by name, each with its own way to connect.
        self._more = [(m, (more_mailboxes or {})[m.name]) for m in settings.more_mailboxes]
        self._sender = sender
        self._drafts = drafts_folder
        self.clock = clock

    def poll(
        self,
        now: datetime,
        stop: Callable[[], bool] = lambda: False,
        progress: Progress | None = None,
        only: str | None = None,
    ) -> PollReport:
        """Read new mail (``only`` one folder, after IDLE said it changed), record touches, act
        on commands, settle reminders the new touches answer."""
        report = run_poll(
            self._mailbox,
            self.store,
            self.settings,
            self.renderer,
            now,
            progress=progress,
            stop=stop,
            only=only,
            more=self._more,
        )
        self.sync_drafts(now)  # a touch with her takes her draft away
        return report

    def sync_drafts(self, now: datetime) -> int:
        """Bring keepwarm's drafts in the owner's Drafts folder in line (SAVE_DRAFTS)."""
        if self._drafts is None:
            return 0
        return drafts.sync(self.store, self._drafts, now)

    def reminders_due(self, now: datetime) -> bool:
        """Has a reminder slot passed since the last run (catch-up after downtime included)?"""
        last = self.store.runs.get().get("last_reminder_run")
        last_run = datetime.fromisoformat(last) if last else None
        return run_is_due(now, self.settings.reminder_time, last_run, self.settings.reminder_days)

    def remind(self, now: datetime) -> tuple[int, outbox.DeliveryReport]:
        """Queue today's reminders (and the thank-yous, and the day's summary of what BCCs added)
        and send them: (messages queued, what delivery did)."""
        messages = reminders.run(self.store, self.renderer, self.settings, now)
        with self.store.transaction():
            messages += thanks.queue_thanks(self.store, self.renderer, self.settings, now)
        messages += bccs.queue_summary(self.store, self.renderer, self.settings, now)
        return len(messages), self.deliver(now)

    def overview_due(self, now: datetime) -> bool:
        """Weekly overview on: has its slot (OVERVIEW_DAY at REMINDER_TIME) passed since the last?"""
        if self.settings.overview != "weekly":
            return False
        last = self.store.runs.get().get("last_overview_run")
        if last is None and now.weekday() != self.settings.overview_day:
            return False  # the first overview waits for its day; only a missed one is caught up
        last_run = datetime.fromisoformat(last) if last else None
        return run_is_due(now, self.settings.reminder_time, last_run, {self.settings.overview_day})

    def overview(self, now: datetime) -> outbox.DeliveryReport:
        """Queue this week's overview and send it."""
        queue_overview(self.store, self.renderer, self.settings, now)
        return self.deliver(now)

    def notify_owner(self, now: datetime, subject: str, text: str) -> bool:
        """Queue a plain notice to the owner (at most one a day); False if one went out today."""
        today = now.date()
        if any(
            i.created_at.astimezone(now.tzinfo).date() == today for i in self.store.outbox.items({NOTICE})
        ):
            return False
        if self.settings.mail is None:
            return False
        self.settings.mail.queue(self.store, NOTICE, now, Letter(subject, text))
        return True

    def deliver(self, now: datetime) -> outbox.DeliveryReport:
        """Send queued messages whose time has come (answers held by the hourly cap included,
        together, once the hour allows)."""
        release_held(self.store, self.settings, now)
        if not self.store.outbox.sendable(now):
            return outbox.DeliveryReport()
        with outbox.mailbox_lookup(self._mailbox, self.settings.folders) as delivered:
            report = outbox.deliver(self.store, self._sender(), now, delivered)
        self.sync_drafts(now)  # a reminder sent: its draft goes to the Drafts folder
        return report
