"""The rendering adapter: Jinja2 over the owner's TEMPLATE_DIR, falling back to the shipped templates.

A template the owner broke (syntax error, unknown variable) never silences a reminder: the shipped
template renders instead and the result carries a note saying what failed, as file:line.
Drafts are looked up most specific first: ``drafts/contacts/<address>.txt.j2``, then
``drafts/<group>.txt.j2``, then ``drafts/default.txt.j2``; in another language than English, the
group's and the default come from that language's folder (``drafts/de/…``, ``render.names``). A
draft may hold several variants separated by a line ``---8<---``; they rotate from one reminder to
the next.
"""

from __future__ import annotations

import importlib.resources
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from keepwarm.render import names as names_of

log = logging.getLogger("keepwarm.render")

VARIANT_SEPARATOR = re.compile(r"^\s*---8<---\s*$", re.MULTILINE)
DEFAULT_DRAFT_SUBJECT = "Catching up"


@dataclass(frozen=True)
class Rendered:
    """Rendered text, and a note when the owner's template failed and the shipped one was used."""

    text: str
    fallback_note: str | None = None


@dataclass(frozen=True)
class Draft:
    """A check-in draft: subject, body, which template made it, and any fallback note."""

    subject: str
    body: str
    template: str
    fallback_note: str | None = None


def shipped_dir() -> Path:
    """Where the shipped templates are, in a checkout and in an installed wheel alike."""
    return Path(str(importlib.resources.files("keepwarm.templates")))


def _environment(loader: jinja2.BaseLoader) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=loader,
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def describe(exc: Exception) -> str:
    """``file:line: message`` for a template error, as an editor wants it."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"template {exc.name} not found"
    line = _line_of(exc)
    where = f"{line[0]}:{line[1]}: " if line else ""
    return f"{where}{type(exc).__name__}: {exc}"


def _line_of(exc: Exception) -> tuple[str, int] | None:
    """The template file and line a runtime error happened on, from the traceback."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2"):
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


class Renderer:
    """Renders keepwarm's emails and drafts from templates."""

    def __init__(self, template_dir: Path | None = None) -> None:
        shipped = jinja2.FileSystemLoader(str(shipped_dir()))
        self.template_dir = template_dir
        self._shipped = _environment(shipped)
        if template_dir is not None:
            own = jinja2.FileSystemLoader(str(template_dir))
            self._env = _environment(jinja2.ChoiceLoader([own, shipped]))
        else:
            self._env = self._shipped

    def render(self, name: str, context: Mapping[str, Any]) -> Rendered:
        """Render one template; on the owner's template failing, the shipped one, with a note."""
        try:
            return Rendered(self._env.get_template(name).render(context))
        except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
            if self._env is self._shipped:
                raise
            note = f"your template failed ({describe(exc)}); keepwarm used its own"
            log.warning("%s", note)
            return Rendered(self._shipped.get_template(name).render(context), note)

    @staticmethod
    def draft_candidates(address: str, group: str | None, language: str = "en") -> list[str]:
        """Draft template names for a contact, most specific first (``names.draft_candidates``)."""
        return names_of.draft_candidates(address, group, language)

    def draft(
        self,
        address: str,
        group: str | None,
        context: Mapping[str, Any],
        rotation: int,
        names: list[str] | None = None,
    ) -> Draft:
        """The check-in draft for a contact (or the first of ``names`` that exists); variant
        number ``rotation`` (modulo the count)."""
        names = names or self.draft_candidates(address, group)
        try:
            return self._draft(self._env, names, context, rotation)
        except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
            if self._env is self._shipped:
                raise
            note = f"your draft template failed ({describe(exc)}); keepwarm used its own"
            log.warning("%s", note)
            draft = self._draft(self._shipped, names, context, rotation)
            return Draft(draft.subject, draft.body, draft.template, note)

    @staticmethod
    def _draft(env: jinja2.Environment, names: list[str], context: Mapping[str, Any], rotation: int) -> Draft:
        template = env.select_template(names)
        try:
            module = template.make_module(dict(context))
        except Exception:
            # make_module skips Jinja's traceback rewriting; this restores template line numbers.
            env.handle_exception()
        variants = [v.strip("\n") for v in VARIANT_SEPARATOR.split(str(module)) if v.strip()]
        body = variants[rotation % len(variants)] + "\n" if variants else ""
        subject = str(getattr(module, "subject", "") or DEFAULT_DRAFT_SUBJECT).strip()
        return Draft(subject, body, template.name or names[-1])

    def check(self, names: list[str], context: Mapping[str, Any]) -> list[str]:
        """Render each template against sample data; return one ``file:line: problem`` per failure."""
        problems = []
        for name in names:
            try:
                self._env.get_template(name).render(context)
            except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
                problems.append(describe(exc))
        return problems

    def template_names(self) -> list[str]:
        """Every template the owner's directory and the shipped set provide."""
        return sorted(n for n in self._env.list_templates() if n.endswith(".j2"))

    def source_path(self, name: str) -> str:
        """Where a template would be loaded from (the owner's copy or the shipped one)."""
        source = self._env.loader.get_source(self._env, name) if self._env.loader else None
        return source[1] or name if source else name
