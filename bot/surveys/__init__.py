"""The customer's survey page on the web role: `routes` for bot/web.py; the HTML in page.py."""

from bot.surveys.endpoint import Door, routes

__all__ = ["Door", "routes"]
