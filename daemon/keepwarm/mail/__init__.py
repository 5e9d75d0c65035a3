"""Mail adapters: parsing and building messages (pure), and the IMAP and SMTP connections."""
