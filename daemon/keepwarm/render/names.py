"""Where a draft's template is, by its language: English at ``drafts/<name>``, another language
in its own folder, ``drafts/<language>/<name>`` (``drafts/de/default.txt.j2``). Without Jinja2,
so that the views (which the CLI imports for its wording) can name templates too."""

from __future__ import annotations

import re

from keepwarm.domain.languages import DEFAULT_LANGUAGE


def draft_name(name: str, language: str = DEFAULT_LANGUAGE) -> str:
    """``drafts/default.txt.j2``, or ``drafts/de/default.txt.j2`` for a draft in German."""
    return f"drafts/{name}" if language == DEFAULT_LANGUAGE else f"drafts/{language}/{name}"


def draft_candidates(address: str, group: str | None, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Draft template names for a contact, most specific first: her own (whatever its language:
    it is written for her), her group's in her language, then the default in her language."""
    names = [f"drafts/contacts/{address}.txt.j2"]
    if group:
        names.append(draft_name(f"{safe(group)}.txt.j2", language))
    names.append(draft_name("default.txt.j2", language))
    return names


def safe(name: str) -> str:
    """A group name as a file name: letters, digits, dots, dashes and underscores only."""
    return re.sub(r"[^\w.-]+", "-", name.strip().lower())
