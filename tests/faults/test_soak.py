"""A soak: the real daemon (``keepwarm run``) for twenty-five minutes under everything at once.

A supervisor SIGKILLs it at random moments (some aimed at a save in progress) and starts it again,
while mail from and to tracked and untracked people arrives every few seconds (LMTP into INBOX,
APPENDs to Sent, now and then a message archived), the owner writes commands to keepwarm's address
and replies to its reminders (some with a copy in Sent, as mail clients file them), reminder runs
happen every minute or two, Dovecot is restarted, and SMTP goes down or answers 421 and 451. Then
one last daemon runs undisturbed for ten minutes while all of that but the faults goes on, and
once everything has settled:

- the touches in the store are exactly those the mail put in the mailbox makes (by touch key:
  none lost, none doubled, none foreign);
- every command was applied once (one undo record, one manual touch, one note) and answered once
  (one answer threaded under it by In-Reply-To, saying what was done);
- each reminder run reminded each contact due at it exactly once: every contact seeded overdue
  gets one reminder, at the first run after it, and no later run reminds it again (its reminder
  is open); nobody else is reminded;
- keepwarm delivered none of its messages twice (no Message-ID of its own twice in the INBOX);
- the last daemon's resident memory grew by at most 10% over its last ten minutes.

``KEEPWARM_FAULT_SOAK`` sets the whole duration in seconds (the phases scale with it, e.g. 300 for
a trial run); ``KEEPWARM_FAULT_SOAK_WINDOW`` the undisturbed last phase (600).
"""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

import pytest

from keepwarm.domain.ingest import TouchKey, touch_key
from keepwarm.domain.model import Direction
from keepwarm.domain.timing import run_is_due
from keepwarm.store import Store
from tests.faults.soak import (
    Arrived,
    Mail,
    OwnerInbox,
    Person,
    Relay,
    build,
    high_uids,
    read_folder,
    rss_kib,
)
from tests.faults.support import (
    Keepwarm,
    Tally,
    doubled_touch_keys,
    env_file,
    keepwarm_processes,
    kill_when_writing,
    rng_for,
    seconds,
    temp_file_of,
    warm_up,
)
from tests.mailtext import part_text
from tests.reminders.support import LISBON, add_contact, env_settings
from tests.testbed.fixtures import Account, Testbed

FOLDERS = ("INBOX", "Sent", "Archive")
TICK = 0.2
PER_ROUND = 3  # contacts seeded overdue before each reminder run
TRACKED = 8
UNTRACKED = 40
# How the kills come, in turn: at a random moment, during a save (its temp file exists), and a
# moment after a command is handed over (while it is read, applied and answered).
KILLS = ("random", "save", "random", "answer")
AIM_TIMEOUT = 15.0
SETTLE_TIMEOUT = 1200.0  # a message that failed often waits up to 16 minutes for its next try
STOP_TIMEOUT = 20.0
GROWTH = 1.10
FAILURE = re.compile(r"keepwarm\.loop: (\w+) failed: (.*)")
MIDNIGHT = clock_time(0, 0)
TOPICS = ("Dinner on Friday?", "Photos", "The book", "Quick question", "Lisbon in May", "Thesis draft")


@dataclass
class Command:
    """One message the owner wrote to keepwarm, and what must come of it."""

    kind: str  # add, log, due, done, snooze
    message_id: str
    answer: str  # what its answer must say
    target: str = ""  # the address it is about
    note: str = ""
    changes: bool = True  # recorded as a change (undo)


@dataclass
class Round:
    """Contacts seeded overdue, and the rewind of the last reminder run that makes a run due."""

    number: int
    began: datetime  # before its transaction…
    committed: datetime  # …and after
    names: dict[str, str]  # name -> address
    rewinds: int = 1


@dataclass
class Phases:
    """The soak's timeline, in monotonic seconds."""

    start: float
    chaos_end: float  # faults stop; the last daemon starts
    window_start: float  # its memory is measured from here…
    traffic_end: float  # …to here, when the mail stops

    @classmethod
    def of(cls, soak: float, window: float) -> Phases:
        window = min(window, soak / 2)
        warm = min(120.0, soak / 10)
        start = time.monotonic()
        chaos_end = start + soak - window - warm
        return cls(start, chaos_end, chaos_end + warm, chaos_end + warm + window)


@dataclass
class Soak:
    """The supervisor, the traffic, and what they did."""

    testbed: Testbed
    account: Account
    tmp_path: Path
    phases: Phases
    relay: Relay
    start: Callable[[Path, Sequence[str], Path], Keepwarm]  # keepwarm_processes' launcher
    state_dir: Path = field(init=False)
    env: Path = field(init=False)
    tally: Counter[str] = field(default_factory=Counter)
    commands: list[Command] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    replies: list[tuple[float, Arrived]] = field(default_factory=list)  # (when, reminder)
    rss: list[tuple[float, int, int]] = field(default_factory=list)  # (t, pid, KiB)
    daemon: Keepwarm | None = None
    final: Keepwarm | None = None
    restart_at: float | None = None
    kill_at: float | None = None  # a kill aimed at the answer to a command just sent
    kill_armed: bool = False  # that kill waits for the next command
    dovecot_back_at: float | None = None
    smtp_back_at: float | None = None
    added: set[str] = field(default_factory=set)
    next_at: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = rng_for("soak")
        self.state_dir = self.tmp_path / "state"
        self.log = self.tmp_path / "daemon.log"
        owner = Person("Naomi Owner", self.account.address)
        self.daemon_address = self.account.plus("keepwarm")
        self.mail = Mail(self.testbed, self.account, owner)
        self.inbox = OwnerInbox(self.testbed, self.account)
        self.tracked = [Person(f"Tara Tracked{k}", f"tracked{k}@example.org") for k in range(TRACKED)]
        self.untracked = [Person(f"Uli Untracked{k}", f"untracked{k}@example.net") for k in range(UNTRACKED)]
        settings = env_settings(
            self.testbed,
            self.account,
            self.state_dir,
            smtp_port=str(self.relay.starttls_port),
            poll_interval="20s",
            # A run is due whenever the last one is before today's midnight: the supervisor makes
            # one due by moving the last run back a day.
            reminder_time="00:00",
            max_reminders_per_day="1000",
            max_replies_per_hour="1000",
        )
        self.env = env_file(self.tmp_path / "keepwarm.env", settings)

    # -- set-up --------------------------------------------------------------------------------

    def seed(self) -> None:
        """The tracked people, in touch two days ago (not due for weeks), and a reminder run just now."""
        now = datetime.now(LISBON)
        store = Store(self.state_dir)
        with store.transaction():
            for person in self.tracked:
                add_contact(store, person.name, person.address, days_since=2, now=now)
            store.runs.note("last_reminder_run", now)

    def launch(self) -> Keepwarm:
        self.daemon = self.start(self.env, ["run"], self.log)
        return self.daemon

    # -- the loop ------------------------------------------------------------------------------

    def due(self, name: str, now: float, low: float, high: float, first: float | None = None) -> bool:
        """Whether ``name``'s next turn has come (the first one is drawn on the first ask, within
        ``first`` seconds if given)."""
        if name not in self.next_at:
            self.next_at[name] = (
                now + self.rng.uniform(0, first) if first else now + self.rng.uniform(low, high)
            )
        if now < self.next_at[name]:
            return False
        self.next_at[name] = now + self.rng.uniform(low, high)
        return True

    def run(self) -> None:
        self.launch()
        self.reminder_round()
        while (now := time.monotonic()) < self.phases.traffic_end:
            if now < self.phases.chaos_end:
                self.chaos(now)
            elif self.final is None:
                self.calm()
            self.check_alive()
            self.traffic(now)
            self.mail.flush()
            time.sleep(TICK)

    def check_alive(self) -> None:
        daemon = self.daemon
        if daemon is not None and not daemon.running():
            pytest.fail(f"keepwarm exited by itself ({daemon.proc.returncode}):\n{daemon.log_text()[-6000:]}")

    def chaos(self, now: float) -> None:
        if self.restart_at is not None and now >= self.restart_at:
            self.restart_at = None
            self.launch()
        elif self.kill_at is not None:
            if now >= self.kill_at:
                self.kill_at = None
                self.kill("answer")
        elif self.daemon is not None and not self.kill_armed and self.due("kill", now, 3, 40):
            mode = KILLS[self.tally["kill turns"] % len(KILLS)]
            self.tally["kill turns"] += 1
            if mode == "answer":
                self.kill_armed = True  # at the next command
            else:
                self.kill(mode)
        if self.dovecot_back_at is not None:
            if now >= self.dovecot_back_at:
                self.testbed.dovecot.resume()
                self.dovecot_back_at = None
        elif self.due("dovecot", now, 50, 120, first=30):
            self.testbed.dovecot.stop()
            self.tally["Dovecot restarts"] += 1
            self.dovecot_back_at = time.monotonic() + self.rng.uniform(1, 6)
        if self.smtp_back_at is not None:
            if now >= self.smtp_back_at:
                self.relay.up()
                self.smtp_back_at = None
        elif self.due("smtp", now, 40, 100, first=20):
            self.smtp_fault()

    def kill(self, mode: str) -> None:
        """SIGKILL the daemon: at a random moment, during a save, or while it answers a command."""
        daemon = self.daemon
        if daemon is None:
            return
        self.tally["kills"] += 1
        self.tally[f"kills {mode}"] += 1
        if mode == "save":
            kill_when_writing(daemon, self.state_dir, AIM_TIMEOUT)
        else:
            daemon.kill()
        self.tally["kills that left a save half-done"] += temp_file_of(self.state_dir, daemon.pid) is not None
        self.daemon = None
        self.restart_at = time.monotonic() + self.rng.uniform(0, 2)

    def smtp_fault(self) -> None:
        kind = self.rng.choice(["down", "down", "421", "451"])
        self.tally[f"SMTP {kind}"] += 1
        if kind == "down":
            self.relay.down()
            self.smtp_back_at = time.monotonic() + self.rng.uniform(5, 30)
        elif kind == "421":
            self.relay.fail_next(421, "4.3.2 Service shutting down", self.rng.randint(1, 4), "MAIL")
        else:
            self.relay.fail_next(451, "4.3.0 Try again later", self.rng.randint(1, 4), "DATA")

    def calm(self) -> None:
        """The faults end; one last kill, and the daemon that then starts runs to the end."""
        self.testbed.dovecot.resume()
        self.dovecot_back_at = None
        self.relay.up()
        self.relay.clear_faults()
        self.smtp_back_at = None
        self.kill_at, self.kill_armed = None, False
        self.kill("random")
        self.restart_at = None
        self.final = self.launch()
        self.reminder_round()  # so the last daemon's first minutes hold a reminder run too

    def traffic(self, now: float) -> None:
        """Mail every few seconds; a command every so often; reminder runs; the watching."""
        if self.due("mail", now, 0.5, 4):
            self.one_mail()
        if self.due("command", now, 8, 25):
            self.one_command(now)
        if now < self.phases.traffic_end - 150 and self.due("round", now, 60, 120):
            self.reminder_round()
        if self.due("scan", now, 3, 5):
            for arrived in self.inbox.scan():
                if arrived.kind == "reminder":
                    self.replies.append((now + self.rng.uniform(3, 40), arrived))
            self.rewind_missed()
        if self.due("rss", now, 4, 4):
            self.sample_rss(now)
        ready = [r for r in self.replies if r[0] <= now]
        if ready:
            self.replies.remove(ready[0])
            self.respond(ready[0][1])

    # -- mail ----------------------------------------------------------------------------------

    def one_mail(self) -> None:
        rng, mail = self.rng, self.mail
        people = self.tracked + self.untracked
        subject = rng.choice(TOPICS)
        cc = rng.choice(people) if rng.random() < 0.2 else None
        draw = rng.random()
        if draw < 0.45:
            mail.incoming(rng.choice(self.tracked if rng.random() < 0.5 else self.untracked), subject, cc)
        elif draw < 0.85:
            to = rng.choice(people)
            mail.outgoing(to, subject, cc if cc != to else None)
        elif draw < 0.92:
            mail.bulk()
        elif mail.in_inbox:
            mail.archive(mail.in_inbox.pop(rng.randrange(len(mail.in_inbox))))
            self.tally["archived"] += 1

    # -- commands ------------------------------------------------------------------------------

    def send(self, raw: bytes, rcpt: str, command: Command) -> None:
        self.commands.append(command)
        sent_copy = self.rng.random() < 0.3
        self.tally["commands with a copy in Sent"] += sent_copy
        self.mail.to_daemon(raw, rcpt, sent_copy=sent_copy)
        if self.kill_armed and time.monotonic() < self.phases.chaos_end:
            # Handed over at the end of this tick; read, applied, answered within a second or two.
            self.kill_armed = False
            self.kill_at = time.monotonic() + self.rng.uniform(0.2, 2.5)

    def to_daemon(self, subject: str, body: str, mid: str) -> bytes:
        owner = (self.mail.owner.name, self.mail.owner.address)
        headers = {
            "From": formataddr(owner),
            "To": formataddr(("keepwarm", self.daemon_address)),
            "Subject": subject,
            "Message-ID": f"<{mid}>",
        }
        return build(headers, body)

    def one_command(self, now: float) -> None:
        if self.replies and self.rng.random() < 0.5:
            self.respond(self.replies.pop(0)[1])
            return
        mid = self.mail.new_id("command")
        draw = self.rng.random()
        candidates = sorted(self.mail.heard_from - self.added - {p.address for p in self.tracked})
        if draw < 0.4 and candidates:
            address = self.rng.choice(candidates)
            self.added.add(address)
            name = next(p.name for p in self.untracked if p.address == address)
            raw = self.to_daemon(f"add {name} <{address}> every 1y", "Met at the conference.", mid)
            self.send(raw, self.daemon_address, Command("add", mid, "now tracking", address))
        elif draw < 0.8:
            address = f"log{len(self.commands)}@example.net"
            raw = self.to_daemon("quick update", f"log coffee with {address}\n\nNaomi", mid)
            answer = f"logged a meeting with {address}"
            self.send(raw, self.daemon_address, Command("log", mid, answer, address))
        else:
            raw = self.to_daemon("due", "", mid)
            self.send(raw, self.daemon_address, Command("due", mid, "Due and coming up", changes=False))

    def respond(self, reminder: Arrived) -> None:
        """The owner answers a reminder: done, snooze with a note, a mail to the person, or nothing."""
        name = _name_of(reminder.subject)
        address = next((r.names[name] for r in self.rounds if name in r.names), None)
        assert address is not None, reminder.subject
        draw = self.rng.random()
        if draw < 0.2:
            return
        if draw < 0.4:
            self.mail.outgoing(Person(name, address), "Long time no see")
            self.tally["reminders answered by a mail to the person"] += 1
            return
        mid = self.mail.new_id("reply")
        if draw < 0.7:
            body, command = "done call", Command("done", mid, "logged that you were in touch with", address)
        else:
            note = f"soak note {mid}"
            body = f"snooze 2w\nnote {note}"
            command = Command("snooze", mid, f"snoozed {name} until", address, note=note)
        headers = {
            "From": formataddr((self.mail.owner.name, self.mail.owner.address)),
            "To": formataddr(("keepwarm", reminder.reply_to)),
            "Subject": f"Re: {reminder.subject}",
            "Message-ID": f"<{mid}>",
            "In-Reply-To": reminder.message_id,
            "References": reminder.message_id,
        }
        quote = f"On Friday, keepwarm <{self.daemon_address}> wrote:\n> {reminder.subject}\n"
        self.send(build(headers, f"{body}\n\n{quote}"), reminder.reply_to, command)

    # -- reminders -----------------------------------------------------------------------------

    def reminder_round(self) -> None:
        """Contacts overdue by different amounts, and a reminder run made due, in one save."""
        number = len(self.rounds) + 1
        now = datetime.now(LISBON)
        names = {f"R{number:02d} Person {i}": f"r{number}.p{i}@example.org" for i in range(PER_ROUND)}
        store = Store(self.state_dir)
        with store.transaction():
            for i, (name, address) in enumerate(names.items()):
                add_contact(store, name, address, days_since=40 + 11 * i + number, now=now)
            store.runs.note("last_reminder_run", now - timedelta(days=1))
        self.rounds.append(Round(number, now, datetime.now(LISBON), names))

    def rewind_missed(self) -> None:
        """No run is due, yet a round's contacts have no reminder: a run that chose before the round
        was seeded recorded itself after it, over the round's rewind (as runs did when they chose
        outside their transaction). Make a run due again, so the soak still settles; the test fails
        on it. (Read in one transaction: a run committed between two reads would look the same.)"""
        store = Store(self.state_dir)
        with store.transaction():
            last = store.runs.get().get("last_reminder_run")
            now = datetime.now(LISBON)
            if last is None or run_is_due(now, MIDNIGHT, datetime.fromisoformat(str(last))):
                return
            reminded = {e.contact_id for e in store.reminders.entries()}
            by_address = {a: c.id for c in store.contacts() for a in c.emails}
            for round_ in self.rounds:
                if any(by_address.get(a) not in reminded for a in round_.names.values()):
                    store.runs.note("last_reminder_run", now - timedelta(days=1))
                    round_.rewinds += 1
                    return

    # -- memory --------------------------------------------------------------------------------

    def sample_rss(self, now: float) -> None:
        if self.daemon is not None and (kib := rss_kib(self.daemon.pid)) is not None:
            self.rss.append((now, self.daemon.pid, kib))

    def memory(self) -> tuple[int, int, int]:
        """The last daemon's RSS (KiB) at the start and the end of the window, and its highest."""
        assert self.final is not None
        pid = self.final.pid
        window = [(t, kib) for t, p, kib in self.rss if p == pid and t >= self.phases.window_start]
        assert window, "no memory samples of the last daemon"
        return window[0][1], window[-1][1], max(kib for _, kib in window)

    # -- the end -------------------------------------------------------------------------------

    def seeded(self) -> dict[str, str]:
        return {name: address for r in self.rounds for name, address in r.names.items()}

    def settled(self) -> bool:
        """Everything put in is read, every command answered, every reminder sent and arrived."""
        if not self.mail.flush():
            return False
        self.inbox.scan()
        answered = {a.in_reply_to for a in self.inbox.arrived if a.kind == "confirmation"}
        if any(c.message_id not in answered for c in self.commands):
            return False
        reminded = {_name_of(a.subject) for a in self.inbox.arrived if a.kind == "reminder"}
        if not set(self.seeded()) <= reminded:
            self.rewind_missed()
            return False
        store = Store(self.state_dir)
        if store.outbox.pending():
            return False
        high = high_uids(self.testbed, self.account, FOLDERS)
        states = store.folder_states()
        return high is not None and all(states.get(f, (0, 0))[1] >= uid for f, uid in high.items())

    def settle(self) -> float:
        started = time.monotonic()
        while not self.settled():
            self.check_alive()
            if self.final is not None:
                self.sample_rss(time.monotonic())
            if time.monotonic() - started > SETTLE_TIMEOUT:
                store = Store(self.state_dir)
                waiting = [(i.id, i.subject, i.attempts, i.next_attempt_at) for i in store.outbox.pending()]
                pytest.fail(f"not settled after {SETTLE_TIMEOUT:.0f} s; outbox waiting: {waiting}")
            time.sleep(2)
        return time.monotonic() - started


def _name_of(subject: str) -> str:
    return subject.removeprefix("Check in with ").split(" — ")[0]


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    return part_text(part) if part is not None else ""


@dataclass
class Outcome:
    """What the store and the owner's INBOX hold at the end, against what was put in."""

    lost: Counter[TouchKey]
    extra: Counter[TouchKey]
    touches: int
    answers: dict[str, list[EmailMessage]]  # command Message-ID -> its answers
    reminders: Counter[str]  # contact name -> reminders in the INBOX
    runs: list[Run]
    kinds: Counter[str]
    duplicates: list[str]  # Message-IDs of keepwarm's own found twice or more
    wrong: list[str]  # commands whose effect is not there once

    @classmethod
    def of(cls, soak: Soak, store: Store, inbox: list[EmailMessage]) -> Outcome:
        ours = [m for m in inbox if m["X-Keepwarm"] is not None]
        ids = Counter(str(m["Message-ID"]) for m in ours)
        kinds = Counter(str(m["X-Keepwarm"]).split(";")[0] for m in ours)
        answers: dict[str, list[EmailMessage]] = {}
        for m in ours:
            if str(m["X-Keepwarm"]).startswith("confirmation"):
                answers.setdefault(str(m["In-Reply-To"] or "").strip().strip("<>"), []).append(m)
        reminders = Counter(
            _name_of(str(m["Subject"])) for m in ours if str(m["X-Keepwarm"]).startswith("reminder")
        )
        # Touches: those of the mail put in (the seeded ones have no Message-ID; manual ones come
        # from commands).
        touches = store.touches()
        from_mail = Counter(
            touch_key(t) for t in touches if t.direction is not Direction.MANUAL and t.message_id
        )
        return cls(
            lost=soak.mail.expected - from_mail,
            extra=from_mail - soak.mail.expected,
            touches=sum(from_mail.values()),
            answers=answers,
            reminders=reminders,
            runs=_runs(soak, store),
            kinds=kinds,
            duplicates=[i for i, n in ids.items() if n > 1],
            wrong=_misapplied(soak.commands, store, answers),
        )


@dataclass(frozen=True)
class Run:
    """A reminder run that reminded anyone (all its entries carry its start time)."""

    at: datetime
    reminded: frozenset[str]
    must: frozenset[str]  # due when it began: seeded (committed) before, not reminded by an earlier run
    may: frozenset[str]  # what it could have seen: seeded before the next run began

    @property
    def right(self) -> bool:
        return self.must <= self.reminded <= self.may


def _runs(soak: Soak, store: Store) -> list[Run]:
    """Each reminder run that reminded anyone, with whom it had to remind and whom it could have.

    A run begins (its time), then chooses inside its transaction: a round committed before the run
    began is due at it; one committed while it began may be in it or in the next; one begun after
    the next run began cannot be in it (that run began after this one was committed)."""
    names = {c.id: c.name for c in store.contacts()}
    by_run: dict[datetime, set[str]] = {}
    for entry in store.reminders.entries():
        by_run.setdefault(entry.created_at, set()).add(names.get(entry.contact_id, "?"))
    starts = sorted(by_run)
    runs, done = [], set[str]()
    for at, after in zip(starts, [*starts[1:], None], strict=True):
        must = {n for r in soak.rounds if r.committed < at for n in r.names} - done
        may = {n for r in soak.rounds if after is None or r.began < after for n in r.names} - done
        runs.append(Run(at, frozenset(by_run[at]), frozenset(must), frozenset(may)))
        done |= by_run[at]
    return runs


def _misapplied(commands: list[Command], store: Store, answers: dict[str, list[EmailMessage]]) -> list[str]:
    """Commands not applied exactly once or not answered exactly once, each with what is wrong."""
    touches = store.touches()
    manual = Counter(t.address for t in touches if t.direction is Direction.MANUAL)
    changes = Counter(c.key for c in store.undo.changes())
    contacts = store.contacts()
    by_address = {a: c for c in contacts for a in c.emails}
    wrong = []
    for command in commands:
        got = answers.get(command.message_id, [])
        problems = []
        if len(got) != 1:
            problems.append(f"{len(got)} answers")
        elif command.answer not in _text(got[0]):
            problems.append(f"answer says {_text(got[0])[:300]!r}")
        if changes[command.message_id] != (1 if command.changes else 0):
            problems.append(f"{changes[command.message_id]} changes recorded")
        if command.kind in ("log", "done") and manual[command.target] != 1:
            problems.append(f"{manual[command.target]} manual touches")
        contact = by_address.get(command.target)
        if command.kind == "add" and (
            contact is None
            or contact.cadence_days != 365
            or sum(command.target in c.emails for c in contacts) != 1
        ):
            problems.append(f"contact {contact}")
        if command.kind == "snooze" and (
            contact is None
            or contact.snoozed_until is None
            or [n.text for n in contact.notes].count(command.note) != 1
        ):
            problems.append(f"contact {contact}")
        if problems:
            wrong.append(f"{command.kind} {command.message_id}: {'; '.join(problems)}")
    logged = sum(c.kind in ("log", "done") for c in commands)
    if sum(manual.values()) != logged:
        wrong.append(f"{sum(manual.values())} manual touches for {logged} log and done commands")
    return wrong


def _failures(log: str) -> Counter[str]:
    """The daemon's failed steps, by step and by whether the server could not be reached at all."""
    found: Counter[str] = Counter()
    for match in FAILURE.finditer(log):
        step, why = match.groups()
        found[f"{step}, {'server down' if 'cannot connect' in why else 'broken'}"] += 1
    return found


@pytest.mark.slow
def test_soak_kills_outages_and_mail_for_twenty_five_minutes_and_everything_adds_up(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    soak = seconds("SOAK", 1500, 1500, slow=True)
    window = seconds("SOAK_WINDOW", 600, 600, slow=True)
    warm_up()
    relay = Relay(testbed)
    relay.up()
    try:
        with keepwarm_processes() as start:
            phases = Phases.of(soak, window)
            s = Soak(testbed, account, tmp_path, phases, relay, start)
            s.seed()
            try:
                s.run()
                settle_seconds = s.settle()
            finally:
                testbed.dovecot.resume()  # the rest of the session needs it
                relay.up()
            rss_start, rss_end, rss_max = s.memory()
            assert s.final is not None
            s.final.signal(signal.SIGTERM)
            code = s.final.wait(STOP_TIMEOUT)
            log = s.final.log_text()
    finally:
        relay.down()
    took = time.monotonic() - phases.start
    store = Store(s.state_dir)
    out = Outcome.of(s, store, read_folder(testbed, account, "INBOX"))
    seeded = s.seeded()
    Tally(
        "soak",
        {
            "duration s": round(took),
            "kills": s.tally["kills"],
            "aimed at a save": s.tally["kills save"],
            "aimed at an answer": s.tally["kills answer"],
            "left a save half-done": s.tally["kills that left a save half-done"],
            "Dovecot restarts": s.tally["Dovecot restarts"],
            "SMTP outages": s.tally["SMTP down"],
            "SMTP 421 bursts": s.tally["SMTP 421"],
            "SMTP 451 bursts": s.tally["SMTP 451"],
            "delivered (LMTP)": s.mail.counts["lmtp"],
            "appended": s.mail.counts["append"],
            "archived": s.mail.counts["move"],
            "newsletters": s.mail.counts["bulk"],
            "hand-overs retried": s.mail.counts["retried"],
            "expected touches": sum(s.mail.expected.values()),
            "touches": out.touches,
            "lost touches": sum(out.lost.values()),
            "foreign or doubled touches": sum(out.extra.values()),
            "commands": len(s.commands),
            "by kind": dict(Counter(c.kind for c in s.commands)),
            "with a Sent copy": s.tally["commands with a copy in Sent"],
            "answers": sum(len(a) for a in out.answers.values()),
            "misapplied": len(out.wrong),
            "reminder rounds": len(s.rounds),
            "rounds made due again": sum(r.rewinds - 1 for r in s.rounds),
            "runs that reminded": len(out.runs),
            "reminders expected": len(seeded),
            "reminders": sum(out.reminders.values()),
            "duplicates": sum(n - 1 for n in out.reminders.values() if n > 1) + len(out.duplicates),
            "lost": len(set(seeded) - set(out.reminders)),
            "keepwarm messages": dict(out.kinds),
            "failed steps": dict(_failures(log)),
            "sends retried": log.count("will retry:"),
            "found delivered, not resent": log.count("was delivered before an interruption"),
            "RSS start MiB": round(rss_start / 1024, 1),
            "RSS end MiB": round(rss_end / 1024, 1),
            "RSS max MiB": round(rss_max / 1024, 1),
            "settled after s": round(settle_seconds),
        },
    ).show()

    assert code == 0, log[-3000:]
    assert "Traceback" not in log and "internal error" not in log, log[-6000:]
    assert s.tally["kills"] >= 1 and s.tally["Dovecot restarts"] >= 1
    # Touches: none lost, none doubled, none foreign.
    assert not out.lost, list(out.lost)[:5]
    assert not out.extra, list(out.extra)[:5]
    assert not doubled_touch_keys(store)
    # Each command applied once and answered once, saying what it did; nothing else answered.
    assert out.wrong == []
    assert set(out.answers) == {c.message_id for c in s.commands}
    # Reminders: each run reminded exactly who was due at it; each seeded contact once; nobody else.
    assert [r for r in out.runs if not r.right] == []
    assert sum(r.rewinds - 1 for r in s.rounds) == 0  # no run ever left a due contact out
    assert out.reminders == Counter(set(seeded)), out.reminders - Counter(set(seeded))
    assert out.duplicates == []
    assert set(out.kinds) <= {"reminder", "confirmation"}, out.kinds
    assert all(i.state == "sent" for i in store.outbox.items())
    # Memory: flat over the last ten minutes.
    assert rss_end <= rss_start * GROWTH, (rss_start, rss_end)
