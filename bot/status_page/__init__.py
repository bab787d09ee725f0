"""The built-in public status page: HTML, Statuspage-shaped JSON, Atom and RSS."""
