"""Ledger: the monthly work ledger in the official columns, deadlines."""
