"""warroom: a Slack incident bot."""
