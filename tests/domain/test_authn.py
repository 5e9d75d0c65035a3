"""Who may command keepwarm: From checks, reminder tokens, Authentication-Results, reply detection."""

# ruff: noqa: E501

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keepwarm.domain.authn import Verdict, authenticate, authentication_passes, looks_like_reply
from keepwarm.domain.classify import Identity
from keepwarm.domain.inbound import InboundMail
from keepwarm.domain.tokens import TokenInfo, make_token
from keepwarm.mail.message import parse_headers

OWNER = "naomi@example.com"
WORK = "naomi@work.example"
DAEMON = "naomi+keepwarm@example.com"
WHO = Identity(frozenset({OWNER, WORK}), DAEMON)
SECRET = b"test-secret-0123456789abcdef"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ISSUED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
TOKEN = make_token(SECRET, 7, ISSUED)
SERVID = "mx.example.com"


def mail(
    *,
    sender: str = OWNER,
    to: str = DAEMON,
    subject: str = "Re: Check in with Alice Example",
    in_reply_to: str | None = None,
    references: str | None = None,
    extra: str = "",
) -> InboundMail:
    """A message's headers as the poll parses them."""
    headers = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <reply-1@mail.example.com>\r\n"
    )
    if in_reply_to is not None:
        headers += f"In-Reply-To: {in_reply_to}\r\n"
    if references is not None:
        headers += f"References: {references}\r\n"
    return parse_headers((headers + extra + "\r\n").encode())


def tagged(token: str = TOKEN) -> str:
    return f"keepwarm <naomi+keepwarm+{token}@example.com>"


def check(
    message: InboundMail,
    auth_results: list[str] | None = None,
    *,
    servid: str | None = None,
    now: datetime = NOW,
    needs_token: bool = True,
) -> Verdict:
    return authenticate(
        message, auth_results or [], WHO, SECRET, servid=servid, now=now, needs_token=needs_token
    )


# -- From ----------------------------------------------------------------------------------------------


def test_a_reply_from_the_owner_with_a_token_is_accepted() -> None:
    verdict = check(mail(to=tagged()))

    assert verdict == Verdict(True, owner_address=OWNER, token=TokenInfo(7, ISSUED))


def test_the_owners_other_address_is_accepted_and_answered_there() -> None:
    verdict = check(mail(sender=f"Naomi <{WORK.upper()}>", to=tagged()))

    assert verdict.accepted
    assert verdict.owner_address == WORK


def test_a_forged_from_is_rejected() -> None:
    verdict = check(mail(sender="Naomi Owner <mallory@evil.example>", to=tagged()))

    assert not verdict.accepted
    assert verdict.reason == "From mallory@evil.example is not one of the owner's addresses"
    assert verdict.token is None


def test_a_look_alike_of_the_owners_address_is_rejected() -> None:
    assert not check(mail(sender="naomi@example.com.evil.example", to=tagged())).accepted
    assert not check(mail(sender="naomi+x@example.com", to=tagged())).accepted


def test_two_from_addresses_are_rejected() -> None:
    verdict = check(mail(sender=f"{OWNER}, mallory@evil.example", to=tagged()))

    assert not verdict.accepted
    assert verdict.reason == "not exactly one From address"


def test_two_from_addresses_are_rejected_even_if_both_are_the_owners() -> None:
    assert not check(mail(sender=f"{OWNER}, {WORK}", to=tagged())).accepted


def test_no_from_is_rejected() -> None:
    message = parse_headers(f"To: {tagged()}\r\nSubject: done\r\n\r\n".encode())

    assert check(message).reason == "not exactly one From address"


# -- tokens ----------------------------------------------------------------------------------------------


def test_a_valid_token_in_the_plus_tag() -> None:
    verdict = check(mail(to=tagged()))

    assert verdict.accepted and verdict.token == TokenInfo(7, ISSUED)


def test_a_valid_token_in_in_reply_to() -> None:
    verdict = check(mail(in_reply_to=f"<kw-{TOKEN}@example.com>"))

    assert verdict.accepted and verdict.token == TokenInfo(7, ISSUED)


def test_a_valid_token_only_in_references() -> None:
    references = f"<older@mail.example.com> <kw-{TOKEN}@example.com> <CAB+x@mail.gmail.com>"

    verdict = check(mail(references=references))

    assert verdict.accepted and verdict.token == TokenInfo(7, ISSUED)


def test_a_valid_token_in_the_subject() -> None:
    verdict = check(mail(subject=f"Re: Check in with Alice [{TOKEN}]"))

    assert verdict.accepted and verdict.token == TokenInfo(7, ISSUED)


def test_the_first_valid_token_is_used_when_a_forged_one_comes_first() -> None:
    forged = TOKEN[:-1] + ("a" if TOKEN[-1] != "a" else "b")

    verdict = check(mail(to=tagged(forged), in_reply_to=f"<kw-{TOKEN}@example.com>"))

    assert verdict.accepted and verdict.token == TokenInfo(7, ISSUED)


def test_a_valid_token_with_someone_elses_from_is_rejected() -> None:
    verdict = check(mail(sender="mallory@evil.example", to=tagged(), in_reply_to=f"<kw-{TOKEN}@example.com>"))

    assert not verdict.accepted
    assert "mallory@evil.example" in verdict.reason


def test_a_100_day_old_token_is_rejected() -> None:
    old = make_token(SECRET, 7, NOW - timedelta(days=100))

    verdict = check(mail(to=tagged(old), in_reply_to=f"<kw-{old}@example.com>"))

    assert not verdict.accepted
    assert verdict.reason == "no valid reminder token (forged, altered, or older than 90 days)"


def test_an_89_day_old_token_is_still_accepted() -> None:
    recent = make_token(SECRET, 7, NOW - timedelta(days=89))

    assert check(mail(to=tagged(recent))).accepted


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"), id="mac"),
        pytest.param(lambda t: "r8" + t[2:], id="reminder-id"),
        pytest.param(lambda t: make_token(b"another-secret-0123456789", 7, ISSUED), id="other-secret"),
    ],
)
def test_a_tampered_token_is_rejected(tamper: object) -> None:
    assert callable(tamper)
    bad = str(tamper(TOKEN))
    assert bad != TOKEN

    verdict = check(mail(to=tagged(bad), in_reply_to=f"<kw-{bad}@example.com>"))

    assert not verdict.accepted
    assert "no valid reminder token" in verdict.reason


def test_mail_to_the_daemon_address_needs_no_token() -> None:
    verdict = check(mail(subject="list"), needs_token=False)

    assert verdict == Verdict(True, owner_address=OWNER, token=None)


# -- Authentication-Results -------------------------------------------------------------------------------


def test_without_servid_the_headers_are_not_consulted() -> None:
    assert check(mail(to=tagged()), [f"{SERVID}; dmarc=fail header.from=example.com"]).accepted


def test_with_servid_a_message_without_its_stamp_is_rejected() -> None:
    verdict = check(mail(to=tagged()), [], servid=SERVID)

    assert not verdict.accepted
    assert verdict.reason == "no Authentication-Results from mx.example.com"


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(f"{SERVID}; dmarc=pass (p=NONE sp=NONE) header.from=example.com", id="dmarc"),
        pytest.param(f"{SERVID}; dmarc=pass", id="dmarc-without-header-from"),
        pytest.param(
            f"{SERVID}; dkim=pass header.i=@example.com header.s=s1 header.d=example.com", id="dkim"
        ),
        pytest.param(f"{SERVID}; dkim=pass header.d=mail.example.com", id="dkim-subdomain"),
        pytest.param(
            f"{SERVID};\r\n\tspf=pass smtp.mailfrom=example.com;"
            "\r\n\tdkim=pass (2048-bit key) header.d=example.com",
            id="folded-with-comments",
        ),
        pytest.param(
            f"{SERVID} 1; dkim=fail header.d=example.com; dkim=pass header.d=example.com", id="second-sig"
        ),
        pytest.param(
            f"{SERVID}; dmarc=fail header.from=example.com; dkim=pass header.d=example.com", id="dkim-only"
        ),
        pytest.param("MX.Example.COM; DMARC=PASS header.from=EXAMPLE.COM", id="case"),
        # Gmail names the signing domain only in header.i.
        pytest.param(
            f"{SERVID}; dkim=pass header.i=@example.com header.s=20230601", id="dkim-gmail-header-i"
        ),
    ],
)
def test_a_passing_aligned_result_from_our_server_is_accepted(header: str) -> None:
    assert check(mail(to=tagged()), [header], servid=SERVID).accepted


def test_relaxed_alignment_also_accepts_the_parent_domain_of_a_subdomain_sender() -> None:
    who = Identity(frozenset({"naomi@mail.example.com"}), DAEMON)
    message = mail(sender="naomi@mail.example.com", to=tagged())

    verdict = authenticate(
        message,
        [f"{SERVID}; dkim=pass header.d=example.com"],
        who,
        SECRET,
        servid=SERVID,
        now=NOW,
        needs_token=True,
    )

    assert verdict.accepted


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(f"{SERVID}; dkim=pass header.d=evil.example", id="foreign-dkim"),
        pytest.param(f"{SERVID}; dkim=pass header.d=notexample.com", id="suffix-lookalike"),
        pytest.param(f"{SERVID}; dkim=pass header.d=example.com.evil.example", id="prefix-lookalike"),
        pytest.param(f"{SERVID}; dmarc=pass header.from=evil.example", id="dmarc-for-another-domain"),
        pytest.param(f"{SERVID}; spf=pass smtp.mailfrom=example.com", id="spf-alone"),
        pytest.param(
            f"{SERVID}; dmarc=fail header.from=example.com; dkim=fail header.d=example.com", id="fails"
        ),
        pytest.param(f"{SERVID}; none", id="none"),
        pytest.param(f"{SERVID}; dkim=pass (header.d=example.com) header.d=evil.example", id="comment-trick"),
    ],
)
def test_anything_but_an_aligned_pass_is_rejected(header: str) -> None:
    verdict = check(mail(to=tagged()), [header], servid=SERVID)

    assert not verdict.accepted
    assert verdict.reason == "neither DMARC nor an aligned DKIM signature passed"


def test_a_stamp_from_another_server_is_ignored() -> None:
    verdict = check(mail(to=tagged()), ["evil.example; dmarc=pass header.from=example.com"], servid=SERVID)

    assert not verdict.accepted
    assert verdict.reason == "no Authentication-Results from mx.example.com"


def test_an_authserv_id_that_merely_starts_with_ours_is_another_server() -> None:
    headers = [f"{SERVID}.evil.example; dmarc=pass header.from=example.com"]

    assert authentication_passes(headers, SERVID, "example.com") is None


def test_the_topmost_header_of_our_server_wins() -> None:
    ours_fail = f"{SERVID}; dmarc=fail header.from=example.com"
    planted_pass = f"{SERVID}; dmarc=pass header.from=example.com"

    assert authentication_passes([ours_fail, planted_pass], SERVID, "example.com") is False
    assert authentication_passes([planted_pass, ours_fail], SERVID, "example.com") is True


def test_a_foreign_stamp_above_ours_is_skipped() -> None:
    headers = ["relay.example.net; dmarc=fail", f"{SERVID}; dmarc=pass header.from=example.com"]

    assert authentication_passes(headers, SERVID, "example.com") is True


@pytest.mark.parametrize("empty", ["", "   ", "; dmarc=pass header.from=example.com"])
def test_an_empty_or_id_less_header_is_ignored_not_a_crash(empty: str) -> None:
    """Anyone can write an Authentication-Results header; a malformed one must be skipped."""
    assert authentication_passes([empty], SERVID, "example.com") is None
    assert authentication_passes([empty, f"{SERVID}; dmarc=pass"], SERVID, "example.com") is True


def test_authentication_results_are_checked_before_the_token() -> None:
    verdict = check(mail(to=tagged()), [f"{SERVID}; dkim=pass header.d=evil.example"], servid=SERVID)

    assert verdict.token is None and not verdict.accepted


# -- does it claim to be a reply? ---------------------------------------------------------------------------


def test_a_token_tag_looks_like_a_reply() -> None:
    assert looks_like_reply(mail(to=tagged()), WHO)


def test_a_token_tag_in_cc_or_delivered_to_looks_like_a_reply() -> None:
    assert looks_like_reply(mail(to=OWNER, extra=f"Cc: {tagged()}\r\n"), WHO)
    assert looks_like_reply(mail(extra=f"Delivered-To: naomi+keepwarm+{TOKEN}@example.com\r\n"), WHO)


def test_a_kw_reference_looks_like_a_reply() -> None:
    assert looks_like_reply(mail(references=f"<a@b.example> <kw-{TOKEN}@example.com>"), WHO)
    assert looks_like_reply(mail(in_reply_to=f"<kw-{TOKEN}@example.com>"), WHO)


def test_an_expired_or_forged_token_still_looks_like_a_reply() -> None:
    """So it must carry a valid token, and is refused rather than read as mail to the daemon."""
    old = make_token(SECRET, 7, NOW - timedelta(days=100))

    assert looks_like_reply(mail(to=tagged(old)), WHO)
    assert looks_like_reply(mail(to=tagged("r1-abc-aaaaaaaaaaaaaaaa")), WHO)


def test_plain_mail_to_the_daemon_does_not_look_like_a_reply() -> None:
    assert not looks_like_reply(mail(subject="add bob@example.org"), WHO)
    assert not looks_like_reply(mail(in_reply_to="<CAB123@mail.gmail.com>", references="<x@y.example>"), WHO)


def test_a_non_token_plus_tag_does_not_look_like_a_reply() -> None:
    assert not looks_like_reply(mail(to="naomi+keepwarm+3w@example.com"), WHO)


def test_a_signature_by_a_bare_top_level_domain_aligns_with_nothing() -> None:
    """Relaxed alignment compares domains, but "com" is nobody's domain."""
    stamp = ["mx.example.com; dkim=pass header.d=com header.s=x"]
    assert authentication_passes(stamp, "mx.example.com", "example.com") is False
    aligned = ["mx.example.com; dkim=pass header.d=example.com header.s=x"]
    assert authentication_passes(aligned, "mx.example.com", "mail.example.com") is True


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(
            f'{SERVID}; dmarc=fail header.from=example.com; spf=pass smtp.mailfrom="x;dmarc=pass"@evil.example',
            id="quoted-envelope-sender",
        ),
        pytest.param(
            f"{SERVID}; dmarc=fail (a (nested; dmarc=pass) comment) header.from=example.com",
            id="nested-comment",
        ),
        pytest.param(
            f'{SERVID}; dmarc=fail reason="; dmarc=pass header.from=example.com"', id="quoted-reason"
        ),
        pytest.param(f"{SERVID}; dmarc=fail header.from=example.com (\\); dmarc=pass)", id="escaped-paren"),
    ],
)
def test_text_the_provider_echoes_is_never_read_as_a_result(header: str) -> None:
    assert authentication_passes([header], SERVID, "example.com") is False


def test_microsofts_stamp_without_an_authserv_id_is_read_when_asked_for() -> None:
    stamp = (
        "spf=pass (sender IP is 40.92.0.1) smtp.mailfrom=example.com; dkim=pass (signature was verified) "
        "header.d=example.com;dmarc=pass action=none header.from=example.com;compauth=pass reason=100"
    )
    assert authentication_passes([stamp], "microsoft", "example.com") is True
    assert (
        authentication_passes(
            [stamp.replace("dmarc=pass", "dmarc=fail").replace("dkim=pass", "dkim=fail")],
            "microsoft",
            "example.com",
        )
        is False
    )
    # Only the topmost header counts, and it must have Microsoft's shape.
    assert authentication_passes([f"{SERVID}; dmarc=fail", stamp], "microsoft", "example.com") is None


def test_reading_a_huge_stamp_costs_a_bounded_time() -> None:
    import time

    header = f"{SERVID}; " + "dkim=fail header.d=x.example " * 20_000 + "; dmarc=pass header.from=example.com"
    started = time.monotonic()
    assert authentication_passes([header], SERVID, "example.com") is False  # the pass is past the cap
    assert time.monotonic() - started < 1


# -- providers whose servers each stamp under their own name ---------------------------------------


ICLOUD = [
    "dmarc.icloud.com; dmarc=fail header.from=example.com",
    "dkim-verifier.icloud.com; dkim=none",
    "spf.icloud.com; spf=softfail smtp.mailfrom=example.com",
]


def test_a_suffix_servid_reads_every_stamp_of_the_topmost_run() -> None:
    passing = [ICLOUD[0].replace("fail", "pass"), *ICLOUD[1:]]
    dkim_only = [
        ICLOUD[0].replace("fail", "none"),
        "dkim-verifier.icloud.com; dkim=pass header.d=example.com",
    ]

    assert authentication_passes(passing, ".icloud.com", "example.com") is True
    assert authentication_passes(dkim_only, ".icloud.com", "example.com") is True
    assert authentication_passes(ICLOUD, ".icloud.com", "example.com") is False


def test_a_planted_stamp_under_the_providers_run_is_not_read() -> None:
    """Below our provider's run is what the message carried on arrival: the sender wrote it. A
    second header by a server already met ends the run, and so does any other server's."""
    repeat = [*ICLOUD, "dmarc.icloud.com; dmarc=pass header.from=example.com"]
    behind_another = [
        ICLOUD[0],
        "relay.evil.example; none",
        "dkim-verifier.icloud.com; dkim=pass header.d=example.com",
    ]

    assert authentication_passes(repeat, ".icloud.com", "example.com") is False
    assert authentication_passes(behind_another, ".icloud.com", "example.com") is False


def test_a_suffix_matches_whole_labels_only() -> None:
    assert authentication_passes(["evilicloud.com; dmarc=pass"], ".icloud.com", "example.com") is None
    assert authentication_passes(
        ["mx3.messagingengine.com; dmarc=pass"], ".messagingengine.com", "example.com"
    )


def test_an_exact_servid_reads_only_its_topmost_stamp() -> None:
    assert (
        authentication_passes([f"{SERVID}; dmarc=fail", f"{SERVID}; dmarc=pass"], SERVID, "example.com")
        is False
    )


def test_the_servid_is_learned_from_a_passing_topmost_stamp_only() -> None:
    from keepwarm.domain.authres import learnable_servid

    microsoft = "spf=pass smtp.mailfrom=example.com; dmarc=pass action=none header.from=example.com"
    # mx.example.com is learned as .example.com: the provider's other servers stamp too.
    assert (
        learnable_servid([f"{SERVID}; dmarc=pass header.from=example.com"], "example.com") == ".example.com"
    )
    assert (
        learnable_servid(["example.net; dmarc=pass header.from=example.com"], "example.com") == "example.net"
    )
    assert learnable_servid([microsoft], "example.com") == "microsoft"
    assert learnable_servid([f"{SERVID}; dmarc=fail header.from=example.com"], "example.com") is None
    assert learnable_servid([f"{SERVID}; dkim=pass header.d=other.example"], "example.com") is None
    assert learnable_servid(["", "   "], "example.com") is None
    assert learnable_servid([], "example.com") is None


def test_a_method_our_provider_spoke_on_is_not_spoken_on_again_further_down() -> None:
    """A sender's header that sits right under the provider's run, under a name of its own that
    ends like the provider's, cannot overrule what the provider said."""
    planted = "evil.icloud.com; dmarc=pass header.from=example.com; dkim=pass header.d=example.com"

    assert authentication_passes([*ICLOUD, planted], ".icloud.com", "example.com") is False


def test_icloud_and_fastmail_stamps_are_learned_as_their_suffix() -> None:
    from keepwarm.domain.authres import learnable_servid

    icloud = [
        "bimi.icloud.com; bimi=none",
        "dmarc.icloud.com; dmarc=pass header.from=example.com",
        "dkim-verifier.icloud.com; dkim=pass (2048-bit key) header.d=example.com header.i=@example.com",
    ]
    fastmail = ["mx3.messagingengine.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"]
    assert learnable_servid(icloud, "example.com") == ".icloud.com"
    assert learnable_servid(fastmail, "example.com") == ".messagingengine.com"
    later = [fastmail[0].replace("mx3", "mx1")]
    assert authentication_passes(later, ".messagingengine.com", "example.com") is True
