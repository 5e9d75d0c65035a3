"""keepwarm: a keep-in-touch daemon that lives in the owner's own mailbox."""

__version__ = "0.1.0"
