"""One poll of the mailbox: fetch what is new in each watched folder, plan, and commit.

``run`` is the poll every caller runs (the daemon and ``keepwarm poll`` alike): it reads the new
mail, handles the commands in it, settles the reminders and openers that mail answers, and records
that it ran. ``poll`` is its core, the folder-by-folder sync.

Each batch of fetched headers becomes one store transaction holding its touches, the keys of the
messages it read, any contacts a BCC asked for, and the folder's new high-water UID. A crash
between batches therefore loses nothing and repeats nothing: the next poll resumes after the last
committed UID, and anything replayed is recognised by its key.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from keepwarm.app import bccs, invitations
from keepwarm.app.commands import CommandHandler
from keepwarm.app.reminders import settle_open, settle_openers
from keepwarm.app.settings import Mailbox, Settings, checked_identity
from keepwarm.domain.classify import Identity, classify
from keepwarm.domain.inbound import COMMAND_BYTES, InboundMail
from keepwarm.domain.ingest import BatchPlan, Known, plan_batch
from keepwarm.domain.model import Contact
from keepwarm.errors import ConfigError, KeepwarmError
from keepwarm.mail.message import parse_headers
from keepwarm.ports import MailSource, RawMail
from keepwarm.render.engine import Renderer
from keepwarm.store import Store

log = logging.getLogger("keepwarm.poll")

BATCH_SIZE = 500
COMMIT_EVERY = 2500
SKIP_COUNTER = "skipped"
UNREADABLE = "unreadable"

Progress = Callable[[str, int, int], None]
# Acts on one message to the daemon address, inside the batch's transaction; says what it did.
CommandSink = Callable[[InboundMail, bytes, datetime], str]
# Tells the owner whom a BCC started tracking, inside the batch's transaction.
BccSink = Callable[[InboundMail, list[Contact], datetime], None]


@dataclass
class PollReport:
    """What one poll found."""

    folders: dict[str, int] = field(default_factory=dict)
    touches: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    new_contacts: list[str] = field(default_factory=list)
    commands: Counter[str] = field(default_factory=Counter)
    cadence_changes: int = 0
    resynced: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        """Messages read in this poll."""
        return sum(self.folders.values())


@dataclass
class _Poll:
    """One poll in progress: what it reads from, writes to, and has found so far."""

    source: MailSource
    store: Store
    who: Identity
    now: datetime
    backfill: timedelta
    progress: Progress | None
    batch_size: int
    stop: Callable[[], bool]
    on_command: CommandSink | None
    commit_every: int
    prefix: str = ""  # a further mailbox's name and ":", before its folders' keys
    report: PollReport = field(default_factory=PollReport)
    on_bcc: BccSink | None = None

    def folder(self, name: str) -> None:
        folder = self.prefix + name  # the key of its state, touches and counts
        state = self.store.folder_state(folder)
        peek = self.source.status(name)
        if state is not None and state == (peek.uidvalidity, state[1]) and peek.uidnext - 1 <= state[1]:
            self.report.folders[folder] = 0
            return  # nothing arrived: no need to open the folder at all
        status = self.source.open(name)
        last_uid = 0
        if state is not None and state[0] == status.uidvalidity:
            last_uid = state[1]
        elif state is not None:
            # The server renumbered the folder: read it again; message keys prevent doubles.
            log.warning("%s: UIDVALIDITY changed (%s -> %s), resyncing", folder, state[0], status.uidvalidity)
            self.report.resynced.append(folder)
        uids = self.source.uids_after(last_uid, (self.now - self.backfill).date())
        self.report.folders[folder] = 0
        # Fetch in batches, but save only every ``commit_every`` messages: each save rewrites the
        # store, and a backfill of thousands of messages would otherwise spend its time saving.
        step = self.batch_size * max(1, self.commit_every // self.batch_size)
        for group in range(0, len(uids), step):
            if self.stop():
                # Asked to stop (SIGTERM): what is committed stays; the next poll resumes here.
                return
            with self.store.transaction():
                for start in range(group, min(group + step, len(uids)), self.batch_size):
                    batch = uids[start : start + self.batch_size]
                    self._batch(folder, status.uidvalidity, batch)
                    if self.progress is not None:
                        self.progress(folder, start + len(batch), len(uids))
        # Nothing new since last time, or only mail older than the backfill window: remember the
        # folder's end so the next poll's search starts there (UIDs below UIDNEXT all existed
        # when the folder was opened, so none of them is skipped unseen).
        high_water = max(last_uid, status.uidnext - 1)
        if not uids and (state is None or state != (status.uidvalidity, high_water)):
            self.store.set_folder_state(folder, status.uidvalidity, high_water)

    def _readable(self, folder: str, raws: list[RawMail]) -> list[tuple[RawMail, InboundMail]]:
        """Each message parsed; one that trips a bug is skipped (see ``_skip``)."""
        found = []
        for raw in raws:
            try:
                found.append((raw, parse_headers(raw.headers, raw.internal_date)))
            except Exception as exc:  # a bug on hostile input: the message must not wedge the folder
                self._skip(folder, raw, exc)
        return found

    def _classifiable(
        self, folder: str, readable: list[tuple[RawMail, InboundMail]]
    ) -> list[tuple[RawMail, InboundMail]]:
        """The messages the classifier can take (looked at one by one only when the batch failed)."""
        found = []
        for raw, mail in readable:
            try:
                classify(mail, self.who, self.now, f"imap:{folder}")
            except Exception as exc:
                self._skip(folder, raw, exc)
                continue
            found.append((raw, mail))
        return found

    def _skip(self, folder: str, raw: RawMail, exc: Exception) -> None:
        """Log a message that trips a bug, note it for ``keepwarm status``, and go on without it:
        it can never stop the folder, or any later poll."""
        log.error("%s UID %s could not be read; skipped", folder, raw.uid, exc_info=exc)
        problem = f"{folder} UID {raw.uid} could not be read and was skipped: {type(exc).__name__}"
        self.store.runs.error(self.now, problem)

    def _plan(
        self, folder: str, readable: list[tuple[RawMail, InboundMail]]
    ) -> tuple[BatchPlan, list[tuple[RawMail, InboundMail]]]:
        contacts = {address: c for c in self.store.contacts() for address in c.emails}
        known = Known(self.store.seen_keys(), self.store.touch_keys(), contacts)
        source = f"imap:{folder}"
        try:
            return plan_batch([(m, source) for _, m in readable], self.who, known, self.now), readable
        except Exception:  # a bug in classifying one of them: find it, and plan the rest
            readable = self._classifiable(folder, readable)
            return plan_batch([(m, source) for _, m in readable], self.who, known, self.now), readable

    def _batch(self, folder: str, uidvalidity: int, batch: list[int]) -> None:
        raws = list(self.source.fetch_headers(batch))
        plan, readable = self._plan(folder, self._readable(folder, raws))
        if len(readable) < len(raws):
            plan.skipped[UNREADABLE] += len(raws) - len(readable)
        uid_of = {mail.key: raw.uid for raw, mail in readable}
        bodies = [(m, self.source.fetch_message(uid_of[m.key], COMMAND_BYTES)) for m in plan.commands]
        meetings = invitations.take(self.source, self.who, readable, plan, folder)
        with self.store.transaction():
            _commit(self.store, plan, folder, uidvalidity, batch[-1])
            invitations.record(self.store, meetings, self.who, self.backfill, self.now)
            if self.on_command is not None:
                for mail, body in bodies:
                    self.report.commands[self.on_command(mail, body, self.now)] += 1
            if self.on_bcc is not None and plan.bcc_tracked:
                by_address = {a: c for c in self.store.contacts() for a in c.emails}
                for mail, addresses in plan.bcc_tracked:
                    self.on_bcc(mail, [by_address[a] for a in addresses if a in by_address], self.now)
        _account(self.report, folder, len(raws), plan)


def poll(
    source: MailSource,
    store: Store,
    who: Identity,
    folders: list[str],
    now: datetime,
    *,
    backfill: timedelta,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    stop: Callable[[], bool] = lambda: False,
    on_command: CommandSink | None = None,
    commit_every: int = COMMIT_EVERY,
    prefix: str = "",
    on_bcc: BccSink | None = None,
) -> PollReport:
    """Bring the store up to date with every watched folder (``stop`` is checked between batches);
    ``prefix`` names a further mailbox in the folders' keys (``work:``)."""
    run = _Poll(
        source, store, who, now, backfill, progress, batch_size, stop, on_command, commit_every, prefix
    )
    run.on_bcc = on_bcc
    for folder in folders:
        run.folder(folder)
    return run.report


def run(
    connect: Callable[[], MailSource],
    store: Store,
    settings: Settings,
    renderer: Renderer,
    now: datetime,
    *,
    progress: Progress | None = None,
    stop: Callable[[], bool] = lambda: False,
    only: str | None = None,
    more: Sequence[tuple[Mailbox, Callable[[], MailSource]]] = (),
) -> PollReport:
    """Read new mail (in every watched folder of every mailbox, or ``only`` that folder of the
    first), act on the commands in it, settle what it answers, and note the poll.

    The first mailbox's failure is the poll's (the caller retries); a further mailbox that fails is
    reported in ``problems`` and ``status``, and the others are read all the same."""
    if settings.who.daemon_address is not None and settings.mail is None and settings.owner_address:
        # Mail to the daemon address would be read and never answered: lost. Say what is missing.
        raise ConfigError(["KEEPWARM_SECRET is not set: commands to KEEPWARM_DAEMON_ADDRESS need it"])
    commands = CommandHandler(store, renderer, settings) if settings.mail is not None else None
    handler = commands.handle if commands is not None else None
    on_bcc = functools.partial(bccs.confirm, store, commands.answers) if commands is not None else None
    first = Mailbox("", settings.folders, checked_identity(settings.who, store.runs.learned_servid()).servid)
    read = functools.partial(
        _read,
        store=store,
        settings=settings,
        now=now,
        progress=progress,
        stop=stop,
        handler=handler,
        on_bcc=on_bcc,
    )
    report = read(connect, first, only)
    for mailbox, connect_more in () if only is not None else more:
        try:
            _merge(report, read(connect_more, mailbox, None))
        except KeepwarmError as exc:
            problem = f"mailbox {mailbox.name}: {exc}"
            log.error("poll of %s", problem)
            report.problems.append(problem)
            store.runs.error(now, f"poll: {problem}")
    invitations.settle(store, settings.who, settings.backfill, now)
    settle_open(store, now)
    settle_openers(store)
    store.runs.note("last_poll", now, last_poll_messages=report.messages)
    if report.messages:
        log.info(
            "poll: %d messages, %d touches, skipped %s",
            report.messages,
            sum(report.touches.values()),
            ", ".join(f"{reason} {count}" for reason, count in report.skipped.most_common()) or "none",
        )
    return report


def _read(
    connect: Callable[[], MailSource],
    mailbox: Mailbox,
    only: str | None,
    *,
    store: Store,
    settings: Settings,
    now: datetime,
    progress: Progress | None,
    stop: Callable[[], bool],
    handler: CommandSink | None,
    on_bcc: BccSink | None,
) -> PollReport:
    """One mailbox's poll, over one connection."""
    source = connect()
    try:
        folders = source.watched_folders(mailbox.folders)
        return poll(
            source,
            store,
            replace(settings.who, servid=mailbox.servid),
            [f for f in folders if only in (None, f)],
            now,
            backfill=settings.backfill,
            progress=progress,
            stop=stop,
            on_command=handler,
            prefix=mailbox.prefix,
            on_bcc=on_bcc,
        )
    finally:
        source.close()


def _merge(report: PollReport, other: PollReport) -> None:
    report.folders.update(other.folders)
    report.touches.update(other.touches)
    report.skipped.update(other.skipped)
    report.new_contacts.extend(other.new_contacts)
    report.commands.update(other.commands)
    report.cadence_changes += other.cadence_changes
    report.resynced.extend(other.resynced)
    report.problems.extend(other.problems)


def _commit(store: Store, plan: BatchPlan, folder: str, uidvalidity: int, last_uid: int) -> None:
    with store.transaction():
        store.add_touches(plan.touches)
        store.mark_seen(plan.seen)
        added = [store.add_contact(contact) for contact in plan.new_contacts]
        for contact_id, days in plan.cadence_changes.items():
            current = store.get_contact(contact_id)
            if current is not None:
                store.update_contact(current.with_changes(cadence_days=days))
        if plan.dated:
            _add_dated(store, plan, added)
        store.add_counts(SKIP_COUNTER, dict(plan.skipped))
        store.set_folder_state(folder, uidvalidity, last_uid)


def _add_dated(store: Store, plan: BatchPlan, added: list[Contact]) -> None:
    """The dated BCC tags, each under the contact its address now belongs to."""
    by_address = {a: c.id for c in (*store.contacts(), *added) for a in c.emails}
    for address, dated in plan.dated:
        contact_id = by_address.get(address)
        if contact_id is not None:
            store.extras.add_dated(replace(dated, contact_id=contact_id))
            log.info("a BCC asked for a reminder on %s", dated.on.isoformat())


def _account(report: PollReport, folder: str, fetched: int, plan: BatchPlan) -> None:
    report.folders[folder] += fetched
    report.touches.update(t.address for t in plan.touches)
    report.skipped.update(plan.skipped)
    report.new_contacts.extend(c.label for c in plan.new_contacts)
    report.cadence_changes += len(plan.cadence_changes)
    report.problems.extend(plan.problems)
    for problem in plan.problems:
        log.warning("%s", problem)
