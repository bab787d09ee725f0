"""Deliverers of outbox rows to the outside world: Slack now, status pages next."""
