"""Assessment's rules as plain Python over plain data: no I/O, no framework."""
