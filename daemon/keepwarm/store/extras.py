"""Openers, the owner's news, and pending thank-yous in the store."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from keepwarm.domain.extras import Dated, News, Opener
from keepwarm.domain.records import iso
from keepwarm.errors import StoreError
from keepwarm.store.engine import Part


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class ExtrasPart(Part):
    """Tables ``openers``, ``news`` (one record) and ``thanks``."""

    # -- openers -------------------------------------------------------------------------------

    def add_opener(self, opener: Opener) -> Opener:
        """Keep something to share with a contact."""
        doc = {
            "contact_id": opener.contact_id,
            "title": opener.title,
            "link": opener.link,
            "added_at": iso(opener.added_at),
            "used_at": None,
        }
        with self.transaction():
            doc_id = self._tables.table("openers").insert(doc)
        return Opener(opener.contact_id, opener.title, opener.link, opener.added_at, doc_id)

    def openers(self, contact_id: int | None = None, *, pending: bool = True) -> list[Opener]:
        """Openers (of one contact), oldest first; by default only those not used yet."""
        found = []
        for doc in self._tables.table("openers").all():
            try:
                opener = Opener(
                    int(doc["contact_id"]),
                    str(doc["title"]),
                    str(doc.get("link") or ""),
                    datetime.fromisoformat(doc["added_at"]),
                    doc.doc_id,
                    _time(doc.get("used_at")),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise StoreError(f"record {doc.doc_id} of table 'openers' is damaged: {exc!r}") from exc
            if (contact_id is None or opener.contact_id == contact_id) and not (pending and opener.used_at):
                found.append(opener)
        return found

    def mark_used(self, ids: Iterable[int], at: datetime) -> None:
        """Openers shared: a touch with their contact followed."""
        wanted = list(ids)
        if wanted:
            with self.transaction():
                self._tables.table("openers").update({"used_at": iso(at)}, doc_ids=wanted)

    def drop_opener(self, opener_id: int) -> bool:
        """Forget an opener; False if there is none with that number."""
        with self.transaction():
            table = self._tables.table("openers")
            if not table.contains(doc_id=opener_id):
                return False
            table.remove(doc_ids=[opener_id])
        return True

    # -- news ----------------------------------------------------------------------------------

    def news(self, now: datetime) -> News | None:
        """The owner's news while it is current."""
        doc = self._tables.table("news").get(doc_id=1)
        if doc is None:
            return None
        news = News(
            str(doc["text"]), datetime.fromisoformat(doc["set_at"]), datetime.fromisoformat(doc["until"])
        )
        return news if news.until > now else None

    def set_news(self, news: News | None) -> None:
        """Replace (or with None, clear) the owner's news."""
        with self.transaction():
            table = self._tables.table("news")
            table.truncate()
            if news is not None:
                table.insert({"text": news.text, "set_at": iso(news.set_at), "until": iso(news.until)})

    # -- thanks --------------------------------------------------------------------------------

    def add_thanks(self, contact_id: int, what: str, at: datetime) -> None:
        """A thank-you draft to deliver with the next reminder run."""
        with self.transaction():
            self._tables.table("thanks").insert(
                {"contact_id": contact_id, "what": what, "created_at": iso(at), "delivered_at": None}
            )

    def pending_thanks(self) -> list[tuple[int, int, str]]:
        """(id, contact id, what) of thank-yous not delivered yet."""
        return [
            (d.doc_id, int(d["contact_id"]), str(d["what"]))
            for d in self._tables.table("thanks").all()
            if not d.get("delivered_at")
        ]

    def mark_thanks_delivered(self, ids: Iterable[int], at: datetime) -> None:
        """Thank-you drafts queued for the owner."""
        wanted = list(ids)
        if wanted:
            with self.transaction():
                self._tables.table("thanks").update({"delivered_at": iso(at)}, doc_ids=wanted)

    # -- dated reminders -----------------------------------------------------------------------

    def add_dated(self, dated: Dated) -> Dated:
        """Keep a dated reminder until its day."""
        with self.transaction():
            doc_id = self._tables.table("dated").insert(
                {
                    "contact_id": dated.contact_id,
                    "on": dated.on.isoformat(),
                    "text": dated.text,
                    "created_at": iso(dated.created_at),
                    "unless_answered": dated.unless_answered,
                    "closed_at": None,
                }
            )
        return Dated(dated.contact_id, dated.on, dated.text, dated.created_at, dated.unless_answered, doc_id)

    def dated(self, today: date | None = None) -> list[Dated]:
        """Open dated reminders (only those whose day has come, given ``today``), soonest first."""
        found = []
        for d in self._tables.table("dated").all():
            if d.get("closed_at"):
                continue
            on = date.fromisoformat(d["on"])
            if today is None or on <= today:
                created = _time(d["created_at"])
                assert created is not None
                found.append(
                    Dated(
                        int(d["contact_id"]),
                        on,
                        str(d["text"]),
                        created,
                        bool(d.get("unless_answered")),
                        d.doc_id,
                    )
                )
        return sorted(found, key=lambda x: (x.on, x.id))

    def close_dated(self, ids: Iterable[int], at: datetime) -> None:
        """Dated reminders sent, or resolved by an answer first."""
        wanted = list(ids)
        if wanted:
            with self.transaction():
                self._tables.table("dated").update({"closed_at": iso(at)}, doc_ids=wanted)
