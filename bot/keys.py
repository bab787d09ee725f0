"""Every aiohttp application key, in one module: what the app holds, typed."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.config import Settings
from bot.domain.clock import Clock
from bot.outbox import Relay
from bot.reminders import Reminders
from bot.service.context import Context
from bot.status_page.cache import PublicPages
from storage.db import Database

SETTINGS = web.AppKey("settings", Settings)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
CONTEXT = web.AppKey("context", Context)
DATABASE = web.AppKey("database", Database)
RELAY = web.AppKey("relay", Relay)
REMINDERS = web.AppKey("reminders", Reminders)
BOLT = web.AppKey("bolt", AsyncApp)
PAGES = web.AppKey("public_pages", PublicPages)
