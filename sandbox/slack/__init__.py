"""The Slack emulator's parts: the workspace, one module per Web API family, and the plumbing."""
