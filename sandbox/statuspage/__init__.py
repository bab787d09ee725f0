"""The Statuspage emulator's parts: the page, its edge, and one module per REST resource."""
