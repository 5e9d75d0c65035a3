"""Where the quote starts in a reply's text, so only what the owner just wrote is read. Pure.

Mail clients introduce a quote in many ways, in many languages: an attribution ("On … wrote:",
"Am … schrieb …:", "Le … a écrit :", "… пишет:", "2022年1月1日(金) 9:00 田中太郎 <t@x>:"), a
header block ("From: … Sent: …", "Von: … Gesendet: …", "De : … Envoyé : …"), a separator
("-----Original Message-----", "________", a horizontal rule), or ``>`` marks. And keepwarm knows
what it sent: a reply that quotes keepwarm's own message without any of these is cut where the
quoted copy begins (``sent`` holds that message's distinctive lines).

A reply written above the quote is the lines before the first boundary; one written below or
inside the quote (the quote opens the text) is its unquoted lines.
"""

# The words below are other languages' (Cyrillic а, Turkish ı, the full-width colon ：): meant.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

# Words that end an attribution ("… wrote:"), or sit in it before a closing colon ("Am …
# schrieb …:"), in the languages mail clients write them.
_VERBS = (
    r"wrote|writes|schrieb|schreibt|a\s+écrit|écrit|escribió|escreveu|escrevera|schreef"
    r"|heeft\s+geschreven|ha\s+scritto|scrisse|skrev|skriver|skrifaði|napisał\(a\)|napisała?|napisal"
    r"|napsal\(a\)|napsala?|napísal|pisze|пишет|написал\(а\)|написала?|писал|kirjoitti|írta|yazdı"
    r"|έγραψε|写道|寫道|작성|kirjutas|rašė|rakstīja|a\s+scris|scrie|napisao|je\s+napisao|написа"
    r"|כתב|كتب|đã\s+viết|menulis|følgende|пише|написав|написала|написал|כתב/ה|כתבה|viết|skrifar"
    r"|napísal\(a\)|scrise|a\s+írt|escriu|va\s+escriure|rašo|kirjoittaa"
)
_ATTRIBUTION = re.compile(
    rf"(?:^|[\s>\"'»)\]*,])(?:{_VERBS})(?:\s.*)?[:：]\s*$"
    # Chinese and Korean write the verb straight after the time: "…下午6:26写道："
    r"|(?:写道|寫道|작성|書きました)\s*[:：]\s*$",
    re.IGNORECASE,
)
# The end of an attribution a client wrapped: "<bob@example.com>", "wrote:", "bob@x.org> написал:".
_FRAGMENT = re.compile(rf"^\s*(?:<?[\w.+-]+@[\w.-]+>?|<)?\s*(?:(?:{_VERBS})\s*[:：]?)?\s*$", re.IGNORECASE)
# "---- On Mon, 02 Apr 2012 … wrote ----" (Zoho) and the like.
_DASHED_ATTRIBUTION = re.compile(rf"^-{{2,}}.*\b(?:{_VERBS})\b.*-{{2,}}\s*$", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DATEISH = re.compile(
    r"\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}年|\d+\s*(?:月|일)", re.IGNORECASE
)
# "-----Original Message-----", "----- Forwarded message -----", "---Ursprüngliche Nachricht---".
_DASHED_TITLE = re.compile(r"^\s*-{2,}\s*[^\s-][^-]{1,60}?\s*-{2,}\s*$")
# A rule: underscores (Outlook), dashes, stars ("* * *" is how an HTML <hr> reads as text).
_RULE = re.compile(r"^\s*(?:_{5,}|-{5,}|(?:\*\s*){3,}|={5,})\s*$")
_SIGNATURE = re.compile(r"^--\s*$")
_FROM_KEYS = (
    "from|von|de|de la|van|da|od|от|від|fra|från|frá|lähettäjä|feladó|kimden|από|发件人|寄件者|差出人"
    "|보낸 사람|mittente|remitente|מאת|من|từ|dari|daripada|saatja|nuo|no|จาก|प्रेषक"
)
_OTHER_KEYS = (
    "sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|date|à|objet|verzonden|aan|onderwerp"
    "|inviato|data|a|oggetto|enviado|fecha|para|asunto|assunto|wysłano|do|temat|отправлено|дата"
    "|кому|тема|sendt|til|emne|skickat|till|ämne|lähetetty|vastaanottaja|aihe|elküldve|címzett"
    "|tárgy|gönderildi|kime|konu|στάλθηκε|προς|θέμα|发送时间|收件人|主题|寄件日期|收件者|主旨"
    "|送信日時|宛先|件名|보낸 날짜|받는 사람|제목|on behalf of"
    "|надіслано|кому|тема|дата|נשלח|אל|נושא|תאריך|تم الإرسال|إلى|الموضوع|التاريخ|đã gửi|đến"
    "|chủ đề|ngày|trimis|către|subiect|dikirim|kepada|subjek|tanggal|odesláno|komu|předmět"
    "|odoslané|predmet|poslano|prima|zadeva|za|изпратено|до|относно|išsiųsta|kam|tema|nosūtīts"
    "|tēma|saadetud|adressaat|teema|dihantar|perkara|enviat|per a|assumpte|ส่ง|ถึง|เรื่อง"
)
_HEADER = re.compile(rf"^[\s>*]*(?:{_FROM_KEYS})\s*[*]*\s*[:：]", re.IGNORECASE)
_OTHER_HEADER = re.compile(rf"^[\s>*]*(?:{_OTHER_KEYS})\s*[*]*\s*[:：]", re.IGNORECASE)
# Gmail's reading of an Outlook block on one line: "From: X Sent: Y To: Z".
_INLINE_HEADER = re.compile(r"\s[*]*(?:sent|date|to|subject)\s*[*]*\s*:", re.IGNORECASE)
# How far below a From: line the next header line may be (Outlook puts one per line).
_HEADER_SPAN = 6
_QUOTED = re.compile(r"^\s*>")
# Longer than any attribution, header line or rule: such a line is text, and the patterns (some
# of which search the whole line) are not tried on it, so a hostile line costs linear time.
MAX_MARKER_CHARS = 300
_MIN_SENT_LINE = 12
# A client that re-wraps the quoted copy leaves the start of a line: long enough to be no accident.
_MIN_PREFIX = 24


# Right-to-left and left-to-right marks that Gmail puts around Hebrew and Arabic text, and the BOM.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
)


def visible(line: str) -> str:
    """The line without its invisible direction marks."""
    return line.translate(_INVISIBLE)


def normalise(line: str) -> str:
    """A line as it is compared with keepwarm's own: no quote marks, spacing or case."""
    return " ".join(line.lstrip(" >\t").split()).casefold()


def distinctive_lines(text: str, limit: int = 40) -> list[str]:
    """The lines of one of keepwarm's messages worth looking for in a reply that quotes it."""
    found: list[str] = []
    for line in text.splitlines():
        key = normalise(line)
        if len(key) >= _MIN_SENT_LINE and any(ch.isalpha() for ch in key) and key not in found:
            found.append(key)
            if len(found) >= limit:
                break
    return found


def is_attribution(line: str) -> bool:
    """Does this line introduce a quote ("On … wrote:", "… schrieb …:", "… <a@b> 2012…:")?"""
    text = line.strip().strip("*").strip()
    if not text or len(text) > MAX_MARKER_CHARS:
        return False
    if _ATTRIBUTION.search(text) or _DASHED_ATTRIBUTION.match(text):
        return True
    # Without a known verb: an address and a date or time, closed by a colon.
    return text.endswith((":", "：")) and bool(_EMAIL.search(text)) and bool(_DATEISH.search(text))


def _header_block(lines: list[str], index: int) -> bool:
    """A "From:" line with another header field on it or within the lines below it."""
    if not _HEADER.match(lines[index]):
        return False
    below = [line for line in lines[index + 1 : index + 1 + _HEADER_SPAN] if len(line) <= MAX_MARKER_CHARS]
    same_line = lines[index].split(":", 1)[-1]
    return any(_OTHER_HEADER.match(line) for line in below) or bool(_INLINE_HEADER.search(same_line))


_BARE_TO = re.compile(r"^\s*(?:to|an|à|aan|a|para|do|кому|til|till)\s*$", re.IGNORECASE)
_BARE_SUBJECT = re.compile(
    r"^\s*(?:subject|betreff|objet|onderwerp|oggetto|asunto|assunto|temat|тема|emne|ämne)\s*$", re.IGNORECASE
)


def _notes_block(lines: list[str], index: int) -> bool:
    """Lotus Notes: a sender line with an address, a date line, then "To" and "Subject" each on
    a line of its own, their values on the next."""
    if index + 1 >= len(lines) or len(lines[index + 1]) > MAX_MARKER_CHARS:
        return False
    if not _EMAIL.search(lines[index]) or not _DATEISH.search(lines[index + 1]):
        return False
    below = [line for line in lines[index + 2 : index + 10] if len(line) <= MAX_MARKER_CHARS]
    to = next((i for i, line in enumerate(below) if _BARE_TO.match(line)), None)
    return to is not None and any(_BARE_SUBJECT.match(line) for line in below[to + 1 :])


def _quotes_sent(line: str, sent: Collection[str]) -> bool:
    """Is this line one of keepwarm's own (perhaps re-wrapped by the client: then a long start)?"""
    if not sent:
        return False
    key = normalise(line)
    if len(key) < _MIN_SENT_LINE:
        return False
    return key in sent or (len(key) >= _MIN_PREFIX and any(s.startswith(key) for s in sent))


def _boundary(lines: list[str], index: int, sent: Collection[str]) -> bool:
    line = lines[index]
    if _QUOTED.match(line) is not None or _SIGNATURE.match(line.strip()) is not None:
        return True
    if len(line) > MAX_MARKER_CHARS:
        return False  # no attribution, header or rule is this long; the patterns need not look
    return (
        _DASHED_TITLE.match(line) is not None
        or _RULE.match(line) is not None
        or is_attribution(line)
        or _header_block(lines, index)
        or _notes_block(lines, index)
        or _quotes_sent(line, sent)
    )


def _unquoted(lines: Iterable[str]) -> list[str]:
    """The lines written into or under a quote: not quoted, not an attribution, not a header."""
    return [line for line in lines if not _QUOTED.match(line) and not is_attribution(line)]


def new_text(text: str, sent: Collection[str] = ()) -> str:
    """The part of ``text`` the owner just wrote. ``sent``: the distinctive lines (see
    ``distinctive_lines``) of the keepwarm message the reply answers, if known."""
    lines = visible(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sent = set(sent)
    first = next((i for i in range(len(lines)) if _boundary(lines, i, sent)), None)
    if first is None:
        return text.strip("\n")
    first = _wrapped_start(lines, first)
    above = lines[:first]
    if any(line.strip() for line in above):
        return "\n".join(above).strip("\n")
    if _SIGNATURE.match(lines[first].strip()):
        return ""
    # The quote comes first: the owner wrote below it, or between its lines.
    rest = lines[first:]
    stop = next((i for i, line in enumerate(rest) if i and _hard_stop(rest, i, sent)), len(rest))
    return "\n".join(_unquoted(rest[:stop])).strip("\n")


def _wrapped_start(lines: list[str], index: int) -> int:
    """Where an attribution the client wrapped over two or three lines begins: a line that is
    only its end ("wrote:", "<bob@x.org>") belongs with the one above it."""
    start = index
    for _ in range(2):
        if start == 0 or len(lines[start]) > MAX_MARKER_CHARS or not lines[start - 1].strip():
            break
        if not _FRAGMENT.match(lines[start]):
            break
        if not is_attribution(" ".join(line.strip() for line in lines[start - 1 : index + 1])):
            break
        start -= 1
    return start


def _hard_stop(lines: list[str], index: int, sent: Collection[str]) -> bool:
    """Where text that is not the owner's starts again under a bottom-posted reply."""
    line = lines[index]
    if len(line) > MAX_MARKER_CHARS:
        return _SIGNATURE.match(line.strip()) is not None
    return (
        _SIGNATURE.match(line.strip()) is not None
        or _DASHED_TITLE.match(line) is not None
        or _header_block(lines, index)
        or (_quotes_sent(line, sent) and not _QUOTED.match(line))
    )
