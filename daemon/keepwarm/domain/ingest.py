"""Plan what a batch of fetched mail changes: touches, remembered messages, tracked contacts.

Pure: given the mail, who the owner is, and what the store already knows, it returns the changes
for the caller to apply in one transaction. Seen messages and touches are identified by the
message key, so a message met again (another folder, a resync, a crash replay) changes nothing.
A BCC's request to track someone is honoured once, from whichever copy carries it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime

from keepwarm.domain.authres import authentication_passes
from keepwarm.domain.classify import Identity, SkipReason, Verdict, classify, touch_time
from keepwarm.domain.extras import Dated
from keepwarm.domain.inbound import InboundMail
from keepwarm.domain.model import Contact, Touch

DUPLICATE = "already-seen"
UNSTAMPED = "command-copy-without-stamp"
INBOX_SOURCE = "imap:inbox"
BCC_PREFIX = "bcc:"

TouchKey = tuple[str, str, str]


def touch_key(touch: Touch) -> TouchKey:
    """What makes two touches the same: one message, one person, one direction."""
    return (touch.message_id or "", touch.address, touch.direction.value)


@dataclass
class BatchPlan:
    """The changes one batch of mail asks for."""

    touches: list[Touch] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    new_contacts: list[Contact] = field(default_factory=list)
    cadence_changes: dict[int, int] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    commands: list[InboundMail] = field(default_factory=list)
    # (address, reminder): a dated BCC tag; the contact's id is known only once it is stored.
    dated: list[tuple[str, Dated]] = field(default_factory=list)
    # Each BCC that starts tracking people, with their addresses (for its confirmation).
    bcc_tracked: list[tuple[InboundMail, tuple[str, ...]]] = field(default_factory=list)


@dataclass(frozen=True)
class Known:
    """What the store already holds, as the planner needs it."""

    seen: Set[str]
    touch_keys: Set[TouchKey]
    contact_by_address: Mapping[str, Contact]


def plan_batch(
    mails: Iterable[tuple[InboundMail, str]], who: Identity, known: Known, now: datetime
) -> BatchPlan:
    """Classify each (mail, source) pair and collect the changes, skipping anything already done."""
    plan = BatchPlan()
    seen_now: set[str] = set()
    keys_now: set[TouchKey] = set()
    for mail, source in mails:
        verdict = classify(mail, who, now, source)
        repeat = mail.key in known.seen or mail.key in seen_now
        if verdict.skip is SkipReason.COMMAND and not repeat and _unstamped(mail, who, source):
            # The Sent copy of the owner's command carries no stamp: leave the message unread, so
            # that its stamped copy in INBOX is the one the command handler authenticates.
            plan.skipped[UNSTAMPED] += 1
            continue
        if not repeat:
            seen_now.add(mail.key)
            plan.seen.append(mail.key)
        if verdict.skip is not None:
            plan.skipped[DUPLICATE if repeat else verdict.skip.value] += 1
            if verdict.skip is SkipReason.COMMAND and not repeat:
                plan.commands.append(mail)
            continue
        fresh = []
        for touch in verdict.touches:
            key = touch_key(touch)
            if key not in known.touch_keys and key not in keys_now:
                keys_now.add(key)
                fresh.append(touch)
        plan.touches.extend(fresh)
        if repeat and not fresh:
            plan.skipped[DUPLICATE] += 1
        if verdict.bcc is None:
            continue
        # A BCC's request to track is honoured once per message, from whichever copy carries it,
        # so a resync never re-adds a contact the owner removed since.
        applied = BCC_PREFIX + mail.key
        # Anyone can send a "From: owner" mail blind-copied to the daemon. Unless that is checked,
        # only the owner's own copy may add people: it will, when met (and is not marked before).
        unproven = _unproven_bcc(mail, who, source)
        if not unproven and applied not in known.seen and applied not in seen_now:
            seen_now.add(applied)
            plan.seen.append(applied)
            _track_bcc(plan, verdict, known, mail, now)
    return plan


def _unproven_bcc(mail: InboundMail, who: Identity, source: str) -> bool:
    """When nothing checks that "From: owner" is true (see Identity): a copy that arrived from
    outside. That is any copy in INBOX, and any copy a receiving server stamped with
    Authentication-Results (Gmail's All Mail holds received mail too); the owner's own copy in
    Sent or All Mail never went through a receiving server, so it carries no stamp."""
    return who.unverified and (source.lower() == INBOX_SOURCE or bool(mail.auth_results))


def _unstamped(mail: InboundMail, who: Identity, source: str) -> bool:
    """With AUTH_SERVID, the owner's own copy of her message outside INBOX (in Sent): our provider
    never stamped it. (In INBOX a message without our stamp goes to the handler, which refuses it
    and tells the owner: a wrong AUTH_SERVID must not silence every command.)"""
    if who.servid is None or source.lower() == INBOX_SOURCE:
        return False
    if not mail.from_ or not who.is_owner(mail.from_[0].address):
        return False
    return authentication_passes(mail.auth_results, who.servid, mail.from_[0].address) is None


def _track_bcc(plan: BatchPlan, verdict: Verdict, known: Known, mail: InboundMail, now: datetime) -> None:
    """A BCC to the daemon is explicit intent: track each recipient, and set the tagged cadence."""
    intent = verdict.bcc
    if intent is None:
        return
    if intent.tag_problem:
        plan.problems.append(f"message {mail.key}: {intent.tag_problem}")
    planned = {a for c in plan.new_contacts for a in c.emails}
    tracked = []
    for mailbox in intent.recipients:
        existing = known.contact_by_address.get(mailbox.address)
        if existing is not None:
            if intent.cadence_days is not None and existing.cadence_days != intent.cadence_days:
                plan.cadence_changes[existing.id] = intent.cadence_days
        elif mailbox.address not in planned:
            planned.add(mailbox.address)
            tracked.append(mailbox.address)
            plan.new_contacts.append(
                Contact(
                    name=mailbox.name,
                    emails=(mailbox.address,),
                    added_at=now,
                    cadence_days=intent.cadence_days,
                )
            )
    if tracked:
        plan.bcc_tracked.append((mail, tuple(tracked)))
    if intent.remind_on is not None:
        sent = touch_time(mail, now)
        text = f"no answer yet to “{mail.subject}”" if mail.subject else "no answer yet"
        for mailbox in intent.recipients:
            # Settled by any mail from them after this one, like ``remind … unless answered``.
            plan.dated.append((mailbox.address, Dated(0, intent.remind_on, text, sent, unless_answered=True)))
