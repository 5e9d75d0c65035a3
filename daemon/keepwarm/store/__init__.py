"""The store adapter: keepwarm's state in one TinyDB JSON file, written atomically under a file lock."""

from keepwarm.store.repository import Store

__all__ = ["Store"]
