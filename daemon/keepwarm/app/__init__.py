"""The use cases: what keepwarm does, over the domain's decisions, the store and the ports.

Each module is named like its twins in ``domain/`` and ``store/`` (reminders, commands, outbox…).
The CLI and the daemon both call these; nothing here imports ``cli`` or ``runtime``.
"""
