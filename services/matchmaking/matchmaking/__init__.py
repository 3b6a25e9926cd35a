"""Matchmaking: fairs, attendance, bank-enterprise pairings, cultivation plans."""
