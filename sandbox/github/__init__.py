"""Parts of the GitHub REST API emulator: the repository state, its edge, the issue routes."""
