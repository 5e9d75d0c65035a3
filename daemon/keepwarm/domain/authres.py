"""Authentication-Results (RFC 8601) read as the RFC writes it, in one pass over the text. Pure.

``authserv-id [version]; method=result [reason=…] ptype.property=value …; …``. Quoted strings and
(nested (comments)) are honoured, so text a provider echoes from the sender (a quoted envelope
address such as ``"x;dmarc=pass"@evil.example``, a reason, a comment) can never be read as a
result of its own. Microsoft 365 and Outlook.com write the header without an authserv-id (it
starts with ``spf=``): that shape is read too, with no authserv-id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# AUTH_SERVID for providers whose stamp has no authserv-id (Microsoft 365, Outlook.com).
MICROSOFT = "microsoft"
# Longer than any honest stamp: anything beyond is not read (it could only be an attack).
MAX_HEADER = 8 * 1024
_METHOD = re.compile(r"^([a-z0-9][a-z0-9_-]*)(?:/\d+)?$", re.IGNORECASE)
_PROPERTY = re.compile(r"^([a-z0-9_-]+)\.([a-z0-9_.-]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Result:
    """One resinfo: the method (dkim, dmarc, spf…), its result, and its properties."""

    method: str
    result: str
    props: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stamp:
    """One Authentication-Results header: who wrote it (None in Microsoft's shape) and what it says."""

    servid: str | None
    results: tuple[Result, ...]


def _tokens(text: str) -> list[list[str]]:  # noqa: PLR0912 (one pass: a branch per kind of character)
    """The header's words, grouped by ";" outside quotes and comments. Comments are dropped;
    a quoted string is one word (its quotes removed); "=" and "." stand on their own."""
    groups: list[list[str]] = [[]]
    word: list[str] = []
    depth = 0
    quoted = escaped = False

    def end_word() -> None:
        if word:
            groups[-1].append("".join(word))
            word.clear()

    for ch in text[:MAX_HEADER]:
        if escaped:
            if not depth:
                word.append(ch)
            escaped = False
        elif ch == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            if ch == '"':
                quoted = False
                groups[-1].append("".join(word) or '""')
                word.clear()
            else:
                word.append(ch)
        elif depth:
            depth += ch == "("
            depth -= ch == ")"
        elif ch == "(":
            end_word()
            depth = 1
        elif ch == '"':
            end_word()
            quoted = True
        elif ch == ";":
            end_word()
            groups.append([])
        elif ch == "=":
            end_word()
            groups[-1].append(ch)
        elif ch.isspace():
            end_word()
        else:
            word.append(ch)
    end_word()
    return groups


def _pairs(words: list[str]) -> list[tuple[str, str]]:
    """``name = value`` pairs, in order; anything else is skipped."""
    found, index = [], 0
    while index < len(words):
        if index + 1 < len(words) and words[index + 1] == "=":
            has_value = index + 2 < len(words) and words[index + 2] != "="
            found.append((words[index].lower(), words[index + 2] if has_value else ""))
            index += 3 if has_value else 2
        else:
            index += 1
    return found


def _result(words: list[str]) -> Result | None:
    pairs = _pairs(words)
    if not pairs:
        return None
    method, result = pairs[0]
    match = _METHOD.match(method)
    if not match:
        return None
    props = {}
    for name, value in pairs[1:]:
        if _PROPERTY.match(name) and name not in props:
            props[name] = value
    return Result(match.group(1).lower(), result.lower(), props)


def parse(header: str) -> Stamp | None:
    """One header, or None when it is not one (empty, or no authserv-id and no result)."""
    groups = _tokens(" ".join(header.split()))
    head = groups[0]
    if head and "=" in head:
        # Microsoft's shape: no authserv-id, the first result straight away.
        servid, rest = None, [head, *groups[1:]]
    elif head:
        servid, rest = head[0].lower(), groups[1:]
    else:
        return None
    results = tuple(r for r in (_result(g) for g in rest) if r is not None)
    return Stamp(servid, results)


def _written_by(stamp: Stamp, servid: str) -> bool:
    """Whether ``servid`` (an authserv-id, ".suffix" for a provider whose servers each stamp
    under their own name, or "microsoft" for no authserv-id at all) wrote ``stamp``."""
    servid = servid.lower()
    if servid == MICROSOFT:
        return stamp.servid is None
    if stamp.servid is None:
        return False
    if servid.startswith("."):
        return stamp.servid.endswith(servid)
    return stamp.servid == servid


def ours(headers: Sequence[str], servid: str) -> list[Result] | None:
    """What our provider says, top first: the results of the topmost run of headers it wrote,
    one header per server name (iCloud writes one per method, as dmarc.icloud.com,
    dkim-verifier.icloud.com…), and for each method only the topmost header's results. The run
    ends at the first header by anyone else or by a server already met: below it is what the
    message carried on arrival, which the sender may have written; and a method our provider has
    spoken on is not spoken on again by a header further down. With "microsoft", only the
    topmost header counts, and only in Microsoft's shape. None: our provider wrote no header."""
    found: list[Result] = []
    met: set[str | None] = set()
    for header in headers:
        stamp = parse(header)
        if stamp is None:
            continue
        if _written_by(stamp, servid) and stamp.servid not in met:
            met.add(stamp.servid)
            spoken = {r.method for r in found}
            found += [r for r in stamp.results if r.method not in spoken]
        elif met:
            break
        if servid.lower() == MICROSOFT:
            break
    return found if met else None


def servid_label(servid: str) -> str:
    """An authserv-id as a person reads it: ``*.icloud.com`` for a suffix, Microsoft's by name."""
    if servid.lower() == MICROSOFT:
        return "Microsoft 365 / Outlook.com (no authserv-id)"
    return "*" + servid if servid.startswith(".") else servid


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other — but never a bare
    top-level name: a signature by "com" aligns with nothing."""
    domain, from_domain = domain.lower().strip("."), from_domain.lower().strip(".")
    if "." not in domain or "." not in from_domain:
        return False
    return domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)


def _signed_domain(props: dict[str, str]) -> str | None:
    """The domain a DKIM result speaks for: ``header.d``, else (Gmail) the domain of ``header.i``."""
    if props.get("header.d"):
        return props["header.d"]
    identity = props.get("header.i", "")
    return identity.rpartition("@")[2] or None


def authentication_passes(headers: Sequence[str], servid: str, from_domain: str) -> bool | None:
    """True/False from our provider's stamps (see ``ours``); None if it wrote none: True when its
    DMARC passed for the From domain, or a DKIM signature aligned with it did."""
    results = ours(headers, servid)
    if results is None:
        return None
    for result in results:
        if result.result != "pass":
            continue
        # Our own server's DMARC verdict is about the From domain; when it names it, it must match.
        if result.method == "dmarc" and _aligned(result.props.get("header.from", from_domain), from_domain):
            return True
        signed = _signed_domain(result.props) if result.method == "dkim" else None
        if signed is not None and _aligned(signed, from_domain):
            return True
    return False


def _candidates(servid: str | None) -> list[str]:
    """What to learn from the topmost stamp's writer: its parent domain as a suffix first (mx3 of
    messagingengine.com stamps today, mx1 tomorrow; bimi.icloud.com heads iCloud's run), then the
    name itself; "microsoft" for Microsoft's shape."""
    if servid is None:
        return [MICROSOFT]
    labels = servid.split(".")
    return ["." + ".".join(labels[1:]), servid] if len(labels) >= 3 else [servid]


def learnable_servid(headers: Sequence[str], from_domain: str) -> str | None:
    """The authserv-id to trust from now on, read off a message already known to be the owner's
    (a reply carrying a valid token): the topmost stamp's writer, if what it says passes for the
    owner's domain. None when nothing can be learned."""
    top = next((stamp for stamp in map(parse, headers) if stamp is not None), None)
    if top is None:
        return None
    for candidate in _candidates(top.servid):
        if authentication_passes(headers, candidate, from_domain):
            return candidate
    return None
