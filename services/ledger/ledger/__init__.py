"""Ledger: The monthly work ledger in the official columns, deadlines."""
