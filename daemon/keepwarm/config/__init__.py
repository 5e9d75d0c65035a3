"""Configuration: one schema of settings, loaded from the environment and an env file.

The names below load on first use (PEP 562), so a command that needs only one piece, such as
``init``'s answer checks in ``convert``, does not pay for the whole schema, and ``--help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keepwarm.config.loader import load
    from keepwarm.config.model import Config, MailAccount, ServerConfig
    from keepwarm.config.schema import SETTINGS, Setting
    from keepwarm.config.secrets import PasswordSource, Secret

__all__ = ["SETTINGS", "Config", "MailAccount", "PasswordSource", "Secret", "ServerConfig", "Setting", "load"]

_HOMES = {
    "load": "loader",
    "Config": "model",
    "MailAccount": "model",
    "ServerConfig": "model",
    "SETTINGS": "schema",
    "Setting": "schema",
    "PasswordSource": "secrets",
    "Secret": "secrets",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module, or a submodule such as ``loader``, when first asked for."""
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as missing:
        if missing.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
