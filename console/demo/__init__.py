"""`make demo`: a deterministic simulated campaign played through the real APIs and topics."""
