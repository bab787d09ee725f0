"""The pure domain core: no Slack, HTTP or database imports live here."""
