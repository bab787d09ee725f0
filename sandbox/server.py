"""What every emulator shares: serving its aiohttp app on a local port, and its state."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar, cast

from aiohttp import web

T = TypeVar("T")


class LocalServer:
    """Serves `make_app()` on 127.0.0.1; subclasses provide the app."""

    _runner: web.AppRunner | None = None
    _base: str | None = None

    def make_app(self) -> web.Application:
        """Build the aiohttp application to serve."""
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: any free port) and return the base URL."""
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self._base = f"http://{host}:{self._runner.addresses[0][1]}"
        return self._base

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Return the base URL (valid after start, or after a first request)."""
        if self._base is None:
            raise RuntimeError(f"{type(self).__name__} has not been started")
        return self._base

    def remember_base(self, request: web.Request) -> None:
        """Learn the base URL from a first request, when served by someone else's runner."""
        if self._base is None:
            self._base = f"{request.scheme}://{request.host}"


class _HasState(Protocol):
    @property
    def state(self) -> object: ...


class Shared(Generic[T]):
    """An emulator attribute kept on its state object, so tests read and set it in one place."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, emulator: _HasState, owner: type | None = None) -> T:
        return cast(T, getattr(emulator.state, self._name))

    def __set__(self, emulator: _HasState, value: T) -> None:
        setattr(emulator.state, self._name, value)
