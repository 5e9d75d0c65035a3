"""One step of the daemon's work at a time: poll, remind, deliver. The loop decides when.

Each step builds what it needs from the current configuration, does its work against the
store, and records when it ran. Errors are the caller's to handle: the loop logs them, notes them
for ``keepwarm status`` and retries later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

from keepwarm.app import outbox, overview, poll, reminders, thanks
from keepwarm.app.commands import CommandHandler, CommandSettings
from keepwarm.config import Config
from keepwarm.domain.timing import run_is_due
from keepwarm.mail import compose
from keepwarm.render.engine import Renderer
from keepwarm.runtime import wiring
from keepwarm.store import Store

log = logging.getLogger("keepwarm.service")


def reminder_settings(config: Config) -> reminders.ReminderSettings:
    """The reminder job's view of the configuration (needs the mail settings and SECRET)."""
    config.require_mail()
    assert config.daemon_address is not None and config.secret is not None
    return reminders.ReminderSettings(
        owner_name=config.owner_name,
        owner_address=config.owner_address,
        daemon_address=config.daemon_address,
        secret=config.secret.reveal().encode(),
        digest=config.reminder_mode == "digest",
        cap=config.max_reminders_per_day,
        plus_addressing=config.plus_addressing,
        default_cadence_days=config.default_cadence_days,
    )


class Service:
    """The daemon's steps over one store, with the configuration current at each call."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.renderer = Renderer(config.template_dir)

    def reload(self, config: Config) -> None:
        """Take a new configuration and re-read the templates (SIGHUP)."""
        self.config = config
        self.renderer = Renderer(config.template_dir)

    def poll(self, now: datetime, stop: Callable[[], bool] = lambda: False) -> poll.PollReport:
        """Read new mail, record touches, settle reminders the new touches answer."""
        mailbox = wiring.open_mailbox(self.config)
        try:
            folders = mailbox.watched_folders(self.config.imap_folders)
            report = poll.poll(
                mailbox,
                self.store,
                wiring.identity(self.config),
                folders,
                now,
                backfill=self.config.backfill,
                stop=stop,
                on_command=self._command_handler().handle if self._commands_enabled() else None,
            )
        finally:
            mailbox.close()
        reminders.settle_open(self.store, now)
        reminders.settle_openers(self.store)
        self.store.reminders.note_run("last_poll", now, last_poll_messages=report.messages)
        if report.messages:
            log.info(
                "poll: %d messages, %d touches, skipped %s",
                report.messages,
                sum(report.touches.values()),
                dict(report.skipped) or "none",
            )
        return report

    def _commands_enabled(self) -> bool:
        return self.config.daemon_address is not None and self.config.secret is not None

    def _command_handler(self) -> CommandHandler:
        config = self.config
        assert config.daemon_address is not None and config.secret is not None
        settings = CommandSettings(
            who=wiring.identity(config),
            secret=config.secret.reveal().encode(),
            servid=config.auth_servid,
            confirmations=config.confirmations,
            max_replies_per_hour=config.max_replies_per_hour,
            owner_name=config.owner_name,
            daemon_address=config.daemon_address,
            plus_addressing=config.plus_addressing,
            default_cadence_days=config.default_cadence_days,
        )
        return CommandHandler(self.store, self.renderer, settings)

    def reminders_due(self, now: datetime) -> bool:
        """Has a reminder slot passed since the last run (catch-up after downtime included)?"""
        last = self.store.reminders.runs().get("last_reminder_run")
        last_run = datetime.fromisoformat(last) if last else None
        return run_is_due(now, self.config.reminder_time, last_run, self.config.reminder_days)

    def remind(self, now: datetime) -> tuple[int, outbox.DeliveryReport]:
        """Queue today's reminders and send them: (messages queued, what delivery did)."""
        settings = reminder_settings(self.config)
        messages = reminders.run(self.store, self.renderer, settings, now)
        with self.store.transaction():
            messages += thanks.queue_thanks(self.store, self.renderer, settings, now)
        return len(messages), self.deliver(now)

    def overview_due(self, now: datetime) -> bool:
        """Weekly overview on: has its slot (OVERVIEW_DAY at REMINDER_TIME) passed since the last?"""
        if self.config.overview != "weekly":
            return False
        last = self.store.reminders.runs().get("last_overview_run")
        if last is None and now.weekday() != self.config.overview_day:
            return False  # the first overview waits for its day; only a missed one is caught up
        last_run = datetime.fromisoformat(last) if last else None
        return run_is_due(now, self.config.reminder_time, last_run, {self.config.overview_day})

    def overview(self, now: datetime) -> outbox.DeliveryReport:
        """Queue this week's overview and send it."""
        overview.queue(self.store, self.renderer, reminder_settings(self.config), now)
        return self.deliver(now)

    def notify_owner(self, now: datetime, subject: str, text: str) -> bool:
        """Queue a plain notice to the owner (at most one a day); False if one went out today."""
        today = now.date()
        if any(
            i.kind == "notice" and i.created_at.astimezone(now.tzinfo).date() == today
            for i in self.store.reminders.outbox()
        ):
            return False
        config = self.config
        if config.daemon_address is None or config.secret is None or not config.owner_emails:
            return False

        def build(token: str) -> EmailMessage:
            assert config.daemon_address is not None
            return compose.build(
                kind="notice",
                daemon_address=config.daemon_address,
                owner_address=config.owner_address,
                subject=subject,
                text=text,
                html=None,
                token=token,
                now=now,
                plus_addressing=config.plus_addressing,
            )

        outbox.enqueue(self.store, "notice", config.secret.reveal().encode(), now, build)
        return True

    def deliver(self, now: datetime) -> outbox.DeliveryReport:
        """Send queued messages whose time has come."""
        if not self.store.reminders.sendable(now):
            return outbox.DeliveryReport()
        return outbox.deliver(self.store, wiring.sender(self.config), now)
