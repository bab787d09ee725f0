"""Parts of the Jira Cloud REST API v3 emulator: the site state, its edge, the issue routes."""
