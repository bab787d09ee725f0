"""Slack and HTTP entry points: ack, parse, call one use case, render."""
