"""Configuration: one schema of settings, loaded from the environment and an env file."""

from keepwarm.config.loader import load
from keepwarm.config.model import Config, ServerConfig
from keepwarm.config.schema import SETTINGS, Setting
from keepwarm.config.secrets import PasswordSource, Secret

__all__ = ["SETTINGS", "Config", "PasswordSource", "Secret", "ServerConfig", "Setting", "load"]
