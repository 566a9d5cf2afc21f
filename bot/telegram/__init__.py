"""The Telegram bot (``newsqa bot``), built on python-telegram-bot."""
