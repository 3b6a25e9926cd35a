"""Roster: the cultivation list, nominations, one file per enterprise, assignments,
the published whitelist."""
