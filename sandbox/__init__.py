"""Offline stand-ins for Slack and Atlassian Statuspage, split by API family, and the demo."""
