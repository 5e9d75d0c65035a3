"""Address books in and out: vCard and CSV files, and the JSON export with history."""
