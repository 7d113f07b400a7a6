"""The Telegram bot: how players find and open the game (see docs/bot.md).

`app` builds the python-telegram-bot Application, `handlers` are its doors onto the game's
services, `texts` is what it says, `webhook` serves production updates from the web process.
"""
