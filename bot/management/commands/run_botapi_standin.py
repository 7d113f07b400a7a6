"""Talk to the bot without Telegram: a local Bot API stand-in and a chat on the console."""

import html
import re
import sys
import threading
import time
from types import ModuleType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

DEFAULT_PORT = 8081
LOCAL_TOKEN = "1000001:LOCAL-standin-token"  # noqa: S105 (a made-up token only the stand-in knows)
LOCAL_BOT = {
    "id": 1000001,
    "is_bot": True,
    "first_name": "clickgame (local)",
    "username": "clickgame_local_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """A message's HTML as console text."""
    return html.unescape(_TAG.sub("", text))


class Command(BaseCommand):
    help = (
        "Run a local stand-in for Telegram's Bot API and chat with the bot on this console: "
        "each line you type (e.g. /start) is a message from a made-up user, and the bot's "
        "answers are printed. Start `runbot` against it in another terminal (printed below)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="Port on 127.0.0.1.")
        parser.add_argument("--user-id", type=int, default=777_000_001, help="Your Telegram id.")
        parser.add_argument("--first-name", default="Dev", help="Your Telegram first name.")
        parser.add_argument(
            "--say",
            action="append",
            default=[],
            metavar="TEXT",
            help="Send TEXT instead of reading the console (repeatable), then exit.",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=30.0,
            help="With --say: seconds to wait for each answer (the bot may still be starting).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            # Function-local: the stand-in the bot's tests run against lives in bot/tests/, which
            # deployment bundles leave out; this is a development tool.
            from bot.tests import botapi_standin
        except ImportError as exc:
            raise CommandError(
                "run_botapi_standin needs bot/tests/ (a source checkout, not a deployment)."
            ) from exc
        try:
            standin = botapi_standin.BotApiStandIn(
                token=LOCAL_TOKEN, bot_user=LOCAL_BOT, port=options["port"]
            )
        except OSError as exc:
            raise CommandError(f"Cannot listen on 127.0.0.1:{options['port']}: {exc}") from exc
        standin.start()
        self.stdout.write(
            f"Bot API stand-in for @{LOCAL_BOT['username']} on {standin.base_url}\n"
            "Start the bot against it in another terminal:\n\n"
            f"  DEBUG=True TELEGRAM_BOT_TOKEN={LOCAL_TOKEN} "
            f"TELEGRAM_API_BASE_URL={standin.base_url} MINI_APP_URL=https://localhost/ "
            ".venv/bin/python manage.py runbot\n"
        )
        chat = _Chat(
            botapi_standin,
            standin,
            self,
            user_id=options["user_id"],
            first_name=options["first_name"],
        )
        try:
            if options["say"]:
                for text in options["say"]:
                    if not chat.say(text, wait=options["wait"]):
                        raise CommandError(f"No answer to {text!r} in {options['wait']:g} s.")
            else:
                self.stdout.write("Type a message (/start, /top, /me, /name, /help); Ctrl-D ends.")
                chat.console()
        finally:
            standin.stop()


class _Chat:
    """One user's private chat with the bot, through the stand-in."""

    def __init__(
        self,
        module: ModuleType,
        standin: Any,
        command: BaseCommand,
        *,
        user_id: int,
        first_name: str,
    ) -> None:
        self.module = module  # bot.tests.botapi_standin: update and message builders
        self.standin = standin
        self.command = command
        self.user_id = user_id
        self.first_name = first_name
        self.shown = 0
        self.prompt: dict[str, Any] | None = None

    def say(self, text: str, *, wait: float) -> bool:
        """Send `text` as the user; print the bot's answers; False when none came in `wait` s."""
        reply_to = self.prompt
        self.prompt = None
        self.command.stdout.write(f"you> {text}")
        self.standin.queue_update(
            self.module.message_update(
                user_id=self.user_id, text=text, first_name=self.first_name, reply_to=reply_to
            )
        )
        if not self.standin.wait_for(lambda s: len(s.sent_texts()) > self.shown, wait):
            return False
        # Answers can come as several messages in a row: give the rest a moment.
        time.sleep(0.3)
        self.show_new()
        return True

    def show_new(self) -> None:
        sent = self.standin.calls_to("sendMessage")
        for params in sent[self.shown :]:
            self.command.stdout.write(f"bot> {plain(params['text'])}")
            markup = params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    target = (button.get("web_app") or {}).get("url") or button.get("url", "")
                    self.command.stdout.write(f"     [{button['text']}] {target}")
            if markup.get("force_reply"):
                # Telegram sends the user's next message as a reply to this one.
                self.prompt = self.module.bot_message(
                    bot_user=LOCAL_BOT, chat_id=self.user_id, text=plain(params["text"])
                )
                self.command.stdout.write("     (your next line answers this message)")
        self.shown = len(sent)

    def console(self) -> None:
        """Read lines until end of input; answers print as they arrive."""
        stop = threading.Event()

        def printer() -> None:
            while not stop.is_set():
                if self.standin.wait_for(lambda s: len(s.sent_texts()) > self.shown, 0.5):
                    self.show_new()

        thread = threading.Thread(target=printer, daemon=True)
        thread.start()
        try:
            for line in sys.stdin:
                if line.strip():
                    reply_to, self.prompt = self.prompt, None
                    self.standin.queue_update(
                        self.module.message_update(
                            user_id=self.user_id,
                            text=line.strip(),
                            first_name=self.first_name,
                            reply_to=reply_to,
                        )
                    )
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            thread.join(2)
