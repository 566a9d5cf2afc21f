"""Test support: the telegram-test-api Bot API emulator, a reader client, a bot runner.

:class:`Emulator` starts ``launch.js`` (Node.js) on 127.0.0.1 with an OS-chosen port;
:class:`Reader` plays one Telegram user over the emulator's client HTTP API;
:class:`BotThread` runs a built :class:`~telegram.ext.Application` by long polling in a
background thread. Used by ``tests/bot`` and ``benchmarks/bot_load.py``; install the
Node dependencies first with ``.ci/install-node-deps.sh`` (``npm ci`` here).
"""

from __future__ import annotations

import asyncio
import json
import select
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from newsqa.bot.telegram._app import BotApplication
from newsqa.bot.telegram._handlers import ALLOWED_UPDATES

__all__ = ["EMULATOR_DIR", "BotMessage", "BotThread", "Emulator", "EmulatorError", "Reader"]

EMULATOR_DIR = Path(__file__).resolve().parent
"""The folder holding ``launch.js``, ``package.json`` and ``node_modules``."""


class EmulatorError(RuntimeError):
    """The emulator cannot be started, or did not answer as expected."""


@dataclass(frozen=True, slots=True)
class BotMessage:
    """A message the bot sent (or edited), as the emulator stored it."""

    message_id: int
    text: str
    parse_mode: str
    buttons: tuple[tuple[str, str], ...]
    """``(label, callback_data)`` of each inline button."""
    edited: bool
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> BotMessage:
        message = stored.get("message", {})
        markup = message.get("reply_markup") or {}
        buttons = tuple(
            (str(b.get("text", "")), str(b.get("callback_data", "")))
            for row in markup.get("inline_keyboard", [])
            for b in row
        )
        return cls(
            message_id=int(stored["messageId"]),
            text=str(message.get("text", "")),
            parse_mode=str(message.get("parse_mode", "")),
            buttons=buttons,
            edited="editTime" in stored,
            raw=stored,
        )


class Emulator:
    """The patched telegram-test-api server, as a child process."""

    def __init__(
        self,
        *,
        node: str | None = None,
        host: str = "127.0.0.1",
        bot_username: str = "NewsqaTestBot",
        bot_id: int = 666,
    ) -> None:
        self.host = host
        self.bot_username = bot_username
        self.bot_id = bot_id
        self._node = node or shutil.which("node") or ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the emulator
        self.port = 0
        self._http = httpx.Client(timeout=60.0)

    @property
    def api_url(self) -> str:
        """The emulator's root URL (the client API lives here)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give ``ApplicationBuilder().base_url`` (``bot.base_url`` in the config)."""
        return f"{self.api_url}/bot"

    def start(self, timeout: float = 20.0) -> Emulator:
        """Start Node and wait for the port it prints."""
        if not self._node:
            raise EmulatorError("Node.js (node) is not installed")
        if not (EMULATOR_DIR / "node_modules" / "telegram-test-api").is_dir():
            raise EmulatorError(
                f"telegram-test-api is not installed in {EMULATOR_DIR}: "
                "run .ci/install-node-deps.sh (npm ci)"
            )
        self._proc = subprocess.Popen(
            [
                self._node,
                "launch.js",
                "--host",
                self.host,
                "--port",
                "0",
                "--bot-username",
                self.bot_username,
                "--bot-id",
                str(self.bot_id),
                "--watch-stdin",
                "1",
            ],
            cwd=EMULATOR_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
        line = self._proc.stdout.readline().decode().strip() if ready else ""
        if not line.isdigit():
            self.stop()
            raise EmulatorError(f"the emulator did not start: {self.log()[-2000:]}")
        self.port = int(line)
        return self

    def stop(self) -> None:
        """Stop the Node process (SIGTERM, then SIGKILL)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()

    def close(self) -> None:
        self.stop()
        self._http.close()
        self._log.close()

    def __enter__(self) -> Emulator:
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log(self) -> str:
        """What the emulator wrote to stderr so far."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def post(self, path: str, payload: dict[str, Any], timeout: float = 60.0) -> Any:
        """POST JSON to a client route; the ``result`` of the answer."""
        response = self._http.post(f"{self.api_url}{path}", json=payload, timeout=timeout)
        if response.status_code != 200:
            raise EmulatorError(f"{path}: HTTP {response.status_code}: {response.text[:500]}")
        return response.json().get("result")

    def reader(
        self,
        token: str,
        *,
        user_id: int,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "读者",
        title: str = "",
    ) -> Reader:
        """A Telegram user in a chat (private by default: chat id = user id)."""
        return Reader(
            self,
            token,
            user_id=user_id,
            chat_id=user_id if chat_id is None else chat_id,
            chat_type=chat_type,
            first_name=first_name,
            title=title,
        )

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Each webhook POST the emulator made: ``update_id``, ``status``, ``error``."""
        return list(self.post("/getWebhookDeliveries", {}))

    def reactions(self, token: str) -> list[dict[str, Any]]:
        """Each ``setMessageReaction`` call the bot made: ``chat_id`` and ``message_id``
        (as sent, strings), and ``emoji``, the list of emoji it set."""
        calls = list(self.post("/getReactions", {"token": token}))
        for call in calls:
            reaction = call.get("reaction") or "[]"
            types = json.loads(reaction) if isinstance(reaction, str) else reaction
            call["emoji"] = [str(t.get("emoji", "")) for t in types]
        return calls

    def callback_answers(self, token: str) -> list[dict[str, Any]]:
        """Each ``answerCallbackQuery`` call the bot made."""
        return list(self.post("/getCallbackAnswers", {"token": token}))

    def reply_markup_edits(self, token: str) -> list[dict[str, Any]]:
        """Each ``editMessageReplyMarkup`` call the bot made: ``chat_id``, ``message_id``."""
        return list(self.post("/getReplyMarkupEdits", {"token": token}))


class Reader:
    """One user in one chat, talking to the bot through the emulator's client API."""

    def __init__(
        self,
        emulator: Emulator,
        token: str,
        *,
        user_id: int,
        chat_id: int,
        chat_type: str,
        first_name: str,
        title: str,
    ) -> None:
        self.emulator = emulator
        self.token = token
        self.user = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "username": f"reader{user_id}",
        }
        self.chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            self.chat.update(first_name=first_name, username=f"reader{user_id}")
        else:
            self.chat["title"] = title or "测试群"

    def _message(self, **fields: Any) -> dict[str, Any]:
        return {
            "from": self.user,
            "chat": self.chat,
            "date": int(time.time()),
            "botToken": self.token,
            **fields,
        }

    def say(self, text: str, **extra: Any) -> None:
        """Send ``text``; a leading ``/command`` is sent as a command (with its entity)."""
        if text.startswith("/"):
            head = text.split(maxsplit=1)[0]
            entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(head)}
            self.emulator.post("/sendCommand", self._message(text=text, entities=[entity], **extra))
        else:
            self.emulator.post("/sendMessage", self._message(text=text, **extra))

    def edit(self, message_id: int, text: str) -> None:
        """Edit the reader's message ``message_id`` (sent with ``say(..., message_id=N)``)
        to ``text``: the bot gets an ``edited_message`` update."""
        self.emulator.post(
            "/sendMessage",
            self._message(text=text, message_id=message_id, edit_date=int(time.time())),
        )

    def send(self, **fields: Any) -> None:
        """Send a message with arbitrary fields (a sticker, a photo, ...)."""
        self.emulator.post("/sendMessage", self._message(**fields))

    def _as_sent(self, message: BotMessage) -> dict[str, Any]:
        """``message`` as the Bot API shows one of the bot's own messages."""
        return {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "text": message.text,
            "from": {
                "id": self.emulator.bot_id,
                "is_bot": True,
                "first_name": "Newsqa Test",
                "username": self.emulator.bot_username,
            },
        }

    def reply_to(self, message: BotMessage, text: str) -> None:
        """Reply to one of the bot's messages."""
        replied = self._as_sent(message)
        self.say(text, reply_to_message=replied)

    def press(self, message: BotMessage, data: str) -> None:
        """Press the inline button with ``data`` under ``message``."""
        shown = self._as_sent(message)
        self.emulator.post(
            "/sendCallback",
            {"from": self.user, "message": shown, "data": data, "botToken": self.token},
        )

    def replies(self, count: int = 1, timeout: float = 20.0) -> list[BotMessage]:
        """Wait for ``count`` new (or newly edited) bot messages in this chat."""
        got: list[BotMessage] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise EmulatorError(
                    f"expected {count} replies in chat {self.chat['id']} within {timeout} s, "
                    f"got {len(got)}: {[m.text[:80] for m in got]}"
                )
            stored = self.emulator.post(
                "/getUpdates",
                {"token": self.token, "chatId": self.chat["id"], "timeout": max(1, int(left))},
                timeout=left + 10,
            )
            got.extend(BotMessage.from_stored(s) for s in stored)
        return got

    def reply(self, timeout: float = 20.0) -> BotMessage:
        """Wait for exactly one new bot message."""
        return self.replies(1, timeout)[0]

    def silence(self, seconds: float = 1.5) -> list[BotMessage]:
        """Whatever the bot sends within ``seconds`` (expected: nothing)."""
        stored = self.emulator.post(
            "/getUpdates",
            {"token": self.token, "chatId": self.chat["id"], "timeout": seconds},
            timeout=seconds + 10,
        )
        return [BotMessage.from_stored(s) for s in stored]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BotThread:
    """Runs an Application by long polling in a background thread with its own loop."""

    def __init__(self, app: BotApplication, *, poll_timeout: int = 5) -> None:
        self._app = app
        self._poll_timeout = poll_timeout
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 60.0) -> BotThread:
        self._thread = threading.Thread(target=self._run, name="newsqa-bot", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise EmulatorError("the bot did not start in time")
        if self._error is not None:
            raise EmulatorError(f"the bot failed to start: {self._error!r}") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to start()
            self._error = exc
        finally:
            self._ready.set()
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        app = self._app
        async with app:
            if app.post_init is not None:
                await app.post_init(app)
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
            await app.start()
            self._ready.set()
            await self._stop.wait()
            await app.updater.stop()
            await app.stop()

    def stop(self, timeout: float = 30.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> BotThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
