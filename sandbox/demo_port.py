"""The demo's port: bound before anything starts, so a busy one is one line with a hint."""

from __future__ import annotations

import errno
import socket

from sandbox.demo_print import DemoError


def listen(host: str, port: int) -> socket.socket:
    """Bind the server's socket (0: any free port), or say in one line which port to try."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        other = _free_port_after(host, port)
        hint = f"try --port {other}" if other else "try --port 0 (any free port)"
        if error.errno == errno.EADDRINUSE:
            raise DemoError(f"port {port} is in use; {hint}") from None
        raise DemoError(f"cannot listen on {host}:{port} ({error.strerror}); {hint}") from None
    return listener


def _free_port_after(host: str, port: int) -> int:
    """Return the first port above `port` that nothing listens on (0 if none of 100 is)."""
    for candidate in range(port + 1, min(port + 101, 65536)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return 0
