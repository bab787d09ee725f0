"""Use cases: one small module per concept, each change one unit of work (`unit.change`)."""
