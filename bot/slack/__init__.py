"""Everything people read in Slack, as pure functions of domain values."""
