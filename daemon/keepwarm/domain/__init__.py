"""The pure domain: contacts, touches, cadence, due dates. Standard library only, no clock, no I/O."""
