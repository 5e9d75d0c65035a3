"""Hostile-input tests: the email corpus, generated mail (hypothesis), and spoofing attempts."""
