"""Matchmaking: Fairs, attendance, bank-enterprise pairings, cultivation plans."""
