"""Address books in and out, one name for the formats: vCard 3 and 4 (``vcard``), CSV as Google
Contacts and Outlook export it (``table``), and the JSON backup (``backup``). Parsing problems name
the record or line; the rest imports.
"""

from __future__ import annotations

from keepwarm.addressbook.backup import BackupFileError, read_backup, to_json
from keepwarm.addressbook.table import read_csv, to_csv
from keepwarm.addressbook.vcard import read_vcards, to_vcards

__all__ = ["BackupFileError", "read_backup", "read_csv", "read_vcards", "to_csv", "to_json", "to_vcards"]
