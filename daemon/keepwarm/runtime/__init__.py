"""The runtime: one step of work (service), the loop that schedules steps, signals, systemd."""
