"""Fault injection with real processes and real servers: SIGKILL, server outages, SMTP faults, full disks."""
