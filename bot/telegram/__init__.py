"""Telegram: the python-telegram-bot application, its handlers, per-chat update order, polling and the webhook server."""
