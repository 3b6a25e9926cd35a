"""The `firstloan` command line: operators' and integrators' tools."""
