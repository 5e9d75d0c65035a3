"""What a CLI command may need, created only when first asked for (config, store, clock)."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from keepwarm import config

if TYPE_CHECKING:  # the store (TinyDB and every table's module) loads when a command opens it
    from keepwarm.store import Store

log = logging.getLogger("keepwarm")


class Context:
    """Lazily loaded configuration and store, so ``--help`` and simple commands stay fast."""

    def __init__(self, env_file: Path | None) -> None:
        self.env_file = env_file

    @cached_property
    def config(self) -> config.Config:
        """The validated configuration; unknown keys are warned about once."""
        loaded = config.load(self.env_file)
        for warning in loaded.warnings:
            log.warning("%s", warning)
        return loaded

    @cached_property
    def store(self) -> Store:
        """The store in the configured state directory."""
        from keepwarm.store import Store

        return Store(self.config.state_dir)

    def now(self) -> datetime:
        """The current time in the owner's zone: the one clock read the commands make."""
        return datetime.now(self.config.timezone)
