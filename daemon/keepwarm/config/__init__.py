"""Configuration: one schema of settings, loaded from the environment and an env file."""

from keepwarm.config.loader import load
from keepwarm.config.model import Config, MailAccount, ServerConfig
from keepwarm.config.schema import SETTINGS, Setting
from keepwarm.config.secrets import PasswordSource, Secret

__all__ = ["SETTINGS", "Config", "MailAccount", "PasswordSource", "Secret", "ServerConfig", "Setting", "load"]
