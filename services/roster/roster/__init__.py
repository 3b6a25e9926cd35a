"""Roster: The cultivation list: nominations, one file per enterprise, assignments, the whitelist."""
