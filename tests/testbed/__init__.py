"""A throwaway real mail system on loopback for keepwarm's tests.

Dovecot (IMAPS, IMAP+STARTTLS, LMTP) plus an aiosmtpd submission server that hands
mail to Dovecot over LMTP, all bound to 127.0.0.1 and living in a temporary
directory for one pytest session. See ``tests.testbed.fixtures`` for the fixtures.
"""
