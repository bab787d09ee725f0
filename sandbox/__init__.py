"""Offline stand-ins for Slack: a Web API emulator and a driver that plays Slack's side."""
