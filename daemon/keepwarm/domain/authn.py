"""Who may command keepwarm: the owner, proven three ways, never a stranger.

(a) exactly one From address, one of the owner's; (b) for a reply, a valid reminder token no more
than 90 days old (in the plus tag it was sent to, in In-Reply-To / References, or in the subject);
(c) when the receiving server stamps Authentication-Results under our AUTH_SERVID, DMARC passes or
a DKIM signature aligned with the From domain does. A DKIM signature by some other domain proves
nothing, and a stamp from any other server is ignored (anyone can write that header).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from keepwarm.domain.authres import MICROSOFT, authentication_passes
from keepwarm.domain.classify import Identity
from keepwarm.domain.inbound import InboundMail
from keepwarm.domain.tokens import TokenInfo, check_token, find_tokens

__all__ = ["MICROSOFT", "Verdict", "authenticate", "authentication_passes", "looks_like_reply", "reply_token"]


@dataclass(frozen=True)
class Verdict:
    """Accepted (with the owner address it came from and the token, if a reply) or the reason not."""

    accepted: bool
    reason: str = ""
    owner_address: str = ""
    token: TokenInfo | None = None
    # Every check made, passed or not, in words (``keepwarm explain`` shows them).
    reasons: tuple[str, ...] = field(default=(), compare=False)


def looks_like_reply(mail: InboundMail, who: Identity) -> bool:
    """Does the message claim to answer a reminder (a token-shaped tag or a keepwarm reference)?

    Such a message must then carry a valid token: an expired or forged one is refused, never
    treated as a plain message to the daemon.
    """
    tags = [who.daemon_tag(a) for a in (*(m.address for m in (*mail.to, *mail.cc)), *mail.delivered_to)]
    references = (mail.in_reply_to or "", *mail.references)
    return any(tag and find_tokens(tag) for tag in tags) or any(r.startswith("kw-") for r in references)


def reply_token(mail: InboundMail, who: Identity, secret: bytes, now: datetime) -> TokenInfo | None:
    """The first valid token the reply carries, looking where replies keep it."""
    candidates: list[str] = []
    for address in (*(m.address for m in (*mail.to, *mail.cc)), *mail.delivered_to):
        tag = who.daemon_tag(address)
        if tag:
            candidates.append(tag)
    for reference in (mail.in_reply_to or "", *mail.references):
        candidates += find_tokens(reference)
    candidates += find_tokens(mail.subject)
    for candidate in candidates:
        info = check_token(secret, candidate, now)
        if info is not None:
            return info
    return None


def authenticate(
    mail: InboundMail,
    auth_results: Sequence[str],
    who: Identity,
    secret: bytes,
    *,
    servid: str | None,
    now: datetime,
    needs_token: bool,
) -> Verdict:
    """Decide whether a command message comes from the owner (see the module docstring)."""
    reasons: list[str] = []

    def refuse(reason: str) -> Verdict:
        return Verdict(False, reason, reasons=(*reasons, reason))

    if len(mail.from_) != 1:
        return refuse("not exactly one From address")
    sender = mail.from_[0].address
    if sender not in who.owner_emails:
        return refuse(f"From {sender} is not one of the owner's addresses")
    reasons.append(f"From {sender} is one of the owner's addresses")
    if servid:
        passed = authentication_passes(auth_results, servid, sender.rpartition("@")[2])
        if passed is None:
            return refuse(f"no Authentication-Results from {servid}")
        if not passed:
            return refuse("neither DMARC nor an aligned DKIM signature passed")
        reasons.append(f"{servid} says DMARC or an aligned DKIM signature passed")
    elif who.trust_from:
        reasons.append("TRUST_FROM=yes: the From header is trusted as it is")
    else:
        reasons.append("no authserv-id is set or learned: only a token can prove the From header")
    token = reply_token(mail, who, secret, now)
    if needs_token and token is None:
        return refuse("no valid reminder token (forged, altered, or older than 90 days)")
    if token is not None:
        reasons.append(f"it answers keepwarm's message {token.reminder_id} (valid token)")
    return Verdict(True, owner_address=sender, token=token, reasons=tuple(reasons))
