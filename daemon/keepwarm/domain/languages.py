"""The languages a check-in draft can be written in, and whose language a contact's draft takes.
Pure.

Only the draft is in the contact's language: the reminder around it is for the owner and stays
in English. A contact's own language wins over her group's, and the group's over the default
(``DRAFT_LANGUAGE``); ``en`` when nobody says.
"""

from __future__ import annotations

from collections.abc import Mapping

from keepwarm.domain.model import Contact

# Every language keepwarm ships drafts in (templates/drafts/ for English, drafts/<code>/ else).
LANGUAGES = ("de", "en", "fr")
DEFAULT_LANGUAGE = "en"
# Their names, for the answers: "drafts to Alice are in German now".
NAMES = {"de": "German", "en": "English", "fr": "French"}
# What people write instead of the code, in English and in the language itself.
_ALIASES = {
    "german": "de",
    "deutsch": "de",
    "english": "en",
    "englisch": "en",
    "anglais": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "französisch": "fr",
}


class LanguageError(ValueError):
    """A language keepwarm has no drafts in; says which it has."""


def available() -> str:
    """``de, en, fr``."""
    return ", ".join(LANGUAGES)


def missing(written: str) -> str:
    """``no drafts in es yet; available: de, en, fr``."""
    return f"no drafts in {written or '(empty)'} yet; available: {available()}"


def parse_language(text: str) -> str:
    """The language code of ``de``, ``de-AT``, ``fr_CA`` (vCard's LANG, a locale) or ``German``;
    LanguageError naming the ones available for any other."""
    written = text.strip()
    word = written.casefold()
    code = _ALIASES.get(word) or word.replace("_", "-").split("-", 1)[0]
    if code not in LANGUAGES:
        raise LanguageError(f"language {written or '(empty)'}: {missing(written)}")
    return code


def effective_language(contact: Contact, group_languages: Mapping[str, str], default: str) -> str:
    """The language of a contact's drafts: her own, else her group's, else ``default``."""
    if contact.language is not None:
        return contact.language
    if contact.group is not None and contact.group in group_languages:
        return group_languages[contact.group]
    return default
