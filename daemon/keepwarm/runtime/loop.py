"""``keepwarm run``: the long-running loop. schedule triggers the steps; signals steer the loop.

- every POLL_INTERVAL: poll the mailbox, then send anything queued whose time has come;
- between polls: IDLE on the folder mail to the daemon arrives in (``runtime.watch``), so a
  reply to a reminder is read and answered within seconds, over the one kept connection;
- every ADDRESSBOOK_INTERVAL and CALENDAR_INTERVAL: read the address books, the calendars, each
  in a thread of its own;
- every minute: if a reminder slot (REMINDER_TIME on REMINDER_DAYS) has passed since the last
  run, run the reminder job (so a run missed while the machine was off happens once at start-up);
- SIGTERM or SIGINT: finish the current step and exit 0 (a second signal stops at once);
- SIGHUP: reload the configuration and the templates; a broken configuration keeps the old one.
Sleeps are cut into one-second slices so a signal is acted on within a second.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType

import schedule

from keepwarm.config import Config
from keepwarm.domain.durations import format_interval
from keepwarm.errors import (
    AuthError,
    ConfigError,
    KeepwarmError,
    ReauthorisationNeeded,
    StoreBusyError,
    TransientError,
)
from keepwarm.runtime import books, calendars, systemd, wiring
from keepwarm.runtime.backoff import Backoff
from keepwarm.runtime.service import Service
from keepwarm.runtime.watch import Watcher
from keepwarm.store import Store, atomic
from keepwarm.store.runs import REAUTHORISATION

log = logging.getLogger("keepwarm.loop")

LOCK_NAME = "daemon.lock"


@contextlib.contextmanager
def daemon_lock(state_dir: Path) -> Iterator[None]:
    """Refuse a second daemon on the same store, naming the one that runs."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = state_dir / LOCK_NAME
    fd = atomic.open_private(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            other = path.read_text().strip() or "?"
            raise StoreBusyError(
                f"another keepwarm daemon (pid {other}) is already running on {state_dir}"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            # The pid is only for the message above; the flock is what keeps a second daemon out.
            log.warning("cannot write the pid to %s: %s", path, exc.strerror)
        yield
    finally:
        os.close(fd)


class Daemon:
    """The loop around a Service."""

    def __init__(
        self,
        load_config: Callable[[], Config],
        build: Callable[..., Service] = wiring.build_service,
    ) -> None:
        self._load_config = load_config
        self._build = build
        self.config = load_config()
        self.watcher, self.more_watchers = self._watchers(self.config)
        self.service = self._service(self.config, Store(self.config.state_dir))
        self._pushed = False
        self.stopping = False
        self._reload_requested = False
        self._backoff = {"poll": Backoff(), "remind": Backoff()}
        self._threads: dict[str, threading.Thread] = {}
        self._watchdog = systemd.watchdog_interval()
        self._last_ping = float("-inf")  # not 0.0: monotonic time starts near 0 at boot

    # -- signals -------------------------------------------------------------------------------

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping:
            log.warning("second %s: stopping now", signal.Signals(signum).name)
            raise SystemExit(0)
        log.info("%s: finishing the current step, then stopping", signal.Signals(signum).name)
        self.stopping = True

    def _on_hup(self, _signum: int, _frame: FrameType | None) -> None:
        self._reload_requested = True

    def _reload(self) -> None:
        self._reload_requested = False
        try:
            config = self._load_config()
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("reload refused, keeping the running configuration: %s", problem)
            return
        self.config = config
        # A new Service over the same store: new settings, adapters, templates and connection.
        self._drop_connections()
        self.watcher, self.more_watchers = self._watchers(config)
        self.service = self._service(config, self.service.store)
        self._scheduler = self._schedule()
        log.info("configuration and templates reloaded")

    @staticmethod
    def _watchers(config: Config) -> tuple[Watcher, dict[str, Watcher]]:
        """A kept connection per mailbox; only the first (mail to the daemon arrives there) idles."""
        first = Watcher(lambda: wiring.open_mailbox(config), config.imap_folders)
        more = {
            a.name: Watcher(functools.partial(wiring.open_mailbox, config, a), a.folders, idle=False)
            for a in config.more_accounts
        }
        return first, more

    def _service(self, config: Config, store: Store) -> Service:
        more = {name: w.borrow for name, w in self.more_watchers.items()}
        return self._build(config, store, mailbox=self.watcher.borrow, more=more)

    def _drop_connections(self) -> None:
        for watcher in (self.watcher, *self.more_watchers.values()):
            watcher.drop()

    def _schedule(self) -> schedule.Scheduler:
        scheduler = schedule.Scheduler()
        scheduler.every(max(1, int(self.config.poll_interval.total_seconds()))).seconds.do(self.poll_job)
        scheduler.every(1).minutes.do(self.remind_job)
        if self.config.addressbooks:
            every = max(60, int(self.config.addressbook_interval.total_seconds()))
            scheduler.every(every).seconds.do(self.books_job)
        if self.config.calendars:
            every = max(60, int(self.config.calendar_interval.total_seconds()))
            scheduler.every(every).seconds.do(self.calendars_job)
        return scheduler

    # -- steps ---------------------------------------------------------------------------------

    def _step(self, name: str, work: Callable[[datetime], object]) -> None:
        """Run one step unless stopping or backing off; errors are logged, noted, and retried later."""
        now = self.service.clock()
        backoff = self._backoff[name]
        if self.stopping or not backoff.ready(now):
            return
        systemd.notify(f"STATUS={name} at {now:%H:%M}")
        try:
            work(now)
        except ReauthorisationNeeded as exc:
            self._failed(
                name, now, f"{exc} (the user must act; retrying slowly)", auth=True, kind=REAUTHORISATION
            )
            self._tell_owner(now, str(exc))
        except AuthError as exc:
            self._failed(name, now, f"{exc} (the user must act; retrying slowly)", auth=True)
        except (TransientError, ConfigError, KeepwarmError) as exc:
            self._failed(name, now, str(exc))
        except Exception as exc:  # a bug: keep the daemon alive, keep the traceback
            log.exception("%s step failed unexpectedly", name)
            self._failed(name, now, f"internal error: {type(exc).__name__}: {exc}")
        else:
            backoff.succeeded()
            systemd.notify(f"STATUS=idle, last {name} at {now:%H:%M}")

    def _tell_owner(self, now: datetime, problem: str) -> None:
        """Mail the owner that keepwarm needs them (once a day); fine if SMTP is what is broken."""
        text = (
            f"keepwarm cannot log in to your mail any more:\n\n  {problem}\n\n"
            "Until you do, it sees no new mail and sends no reminders.\n"
        )
        with contextlib.suppress(KeepwarmError, OSError):
            if self.service.notify_owner(now, "keepwarm needs you: re-authorisation needed", text):
                self.service.deliver(now)

    def _failed(self, name: str, now: datetime, message: str, *, auth: bool = False, kind: str = "") -> None:
        if name == "poll":
            self._drop_connections()  # one may be what failed: the next poll logs in afresh
        delay = self._backoff[name].failed(now, auth=auth)
        log.error("%s failed: %s; next try in %d s", name, message, delay.total_seconds())
        with contextlib.suppress(KeepwarmError, OSError):
            self.service.store.runs.error(now, f"{name}: {message}", kind=kind)

    def _between_batches(self) -> bool:
        """Called between fetched batches: keep systemd's watchdog fed during a long backfill,
        and tell the poll whether to stop early."""
        self._ping()
        return self.stopping

    def poll_job(self) -> None:
        """Poll, then deliver anything due (retries happen on these later cycles)."""

        def work(now: datetime) -> None:
            self.service.poll(now, stop=self._between_batches)
            self.service.deliver(now)

        self._step("poll", work)

    def push_job(self) -> None:
        """IDLE said mail arrived: poll that folder at once and answer what it asked."""
        folder = self.watcher.folder

        def work(now: datetime) -> None:
            self.service.poll(now, stop=self._between_batches, only=folder)
            self.service.deliver(now)

        self._step("poll", work)

    def remind_job(self) -> None:
        """Run the reminder job if a slot has passed since the last run."""

        def work(now: datetime) -> None:
            if self.service.reminders_due(now):
                count, report = self.service.remind(now)
                log.info("reminder run: %d message(s) queued, %d sent", count, len(report.sent))
            if self.service.overview_due(now):
                self.service.overview(now)
                log.info("weekly overview sent")

        self._step("remind", work)

    # -- address books and calendars: jobs of their own, each in a thread, so mail polling never
    # waits on a server; each with its own Store (the file lock keeps it and the loop's apart) --

    def books_job(self) -> threading.Thread | None:
        """Start a sync of the address books, unless one is still running; returns its thread."""
        config, clock = self.config, self.service.clock
        if not config.addressbooks:
            return None
        return self._in_thread(
            "addressbooks", lambda: books.sync_all(config, Store(config.state_dir), clock())
        )

    def calendars_job(self) -> threading.Thread | None:
        """Start a sync of the calendars, unless one is still running; returns its thread."""
        config, clock = self.config, self.service.clock
        if not config.calendars:
            return None
        return self._in_thread(
            "calendars", lambda: calendars.sync_all(config, Store(config.state_dir), clock())
        )

    def _in_thread(self, name: str, work: Callable[[], object]) -> threading.Thread | None:
        running = self._threads.get(name)
        if running is not None and running.is_alive():
            return None

        def guarded() -> None:
            try:
                work()
            except Exception:  # a bug or a busy store: logged; the next interval tries again
                log.exception("%s sync failed", name)

        thread = self._threads[name] = threading.Thread(target=guarded, name=name, daemon=True)
        thread.start()
        return thread

    # -- the loop ------------------------------------------------------------------------------

    def _ping(self) -> None:
        if self._watchdog is not None and time.monotonic() - self._last_ping >= self._watchdog:
            systemd.notify("WATCHDOG=1")
            self._last_ping = time.monotonic()

    def run(self) -> int:
        """Run until SIGTERM or SIGINT; returns the exit status."""
        with daemon_lock(self.config.state_dir):
            signal.signal(signal.SIGTERM, self._on_stop)
            signal.signal(signal.SIGINT, self._on_stop)
            signal.signal(signal.SIGHUP, self._on_hup)
            self._scheduler = self._schedule()
            systemd.notify("READY=1", "STATUS=starting: first poll")
            log.info(
                "keepwarm running: polling every %s, reminders at %s",
                format_interval(self.config.poll_interval),
                f"{self.config.reminder_time:%H:%M}",
            )
            self.poll_job()
            self.remind_job()
            self.books_job()
            self.calendars_job()
            while not self.stopping:
                if self._reload_requested:
                    self._reload()
                self._scheduler.run_pending()
                if self._backoff["poll"].failures and self._backoff["poll"].ready(self.service.clock()):
                    # A failed poll (a lost connection, a server down) is retried when its
                    # backoff allows, not only at the next POLL_INTERVAL.
                    self._pushed = True
                if self._pushed and not self.stopping:
                    self._pushed = False
                    self.push_job()
                self._ping()
                idle = self._scheduler.idle_seconds
                # IDLE or a plain sleep, in slices of a second: signals and the watchdog wait no longer.
                self._pushed = self.watcher.wait(min(1.0, max(0.05, idle if idle is not None else 1.0)))
            self._drop_connections()
            for thread in self._threads.values():
                thread.join(timeout=books.TIMEOUT)  # a sync in its last transaction finishes
            systemd.notify("STOPPING=1")
        log.info("stopped")
        return 0
