"""Token handling, log redaction, start-up checks, rate limiter and answer memory."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from newsqa.bot._logging import RedactingFilter, redact
from newsqa.bot._logging import setup_logging as install_redaction
from newsqa.bot.cli import main
from newsqa.bot.telegram import TOKEN_ENV, run_bot
from newsqa.bot.telegram import _app as bot_app
from newsqa.bot.telegram._app import check_environment
from newsqa.bot.telegram._memory import AnswerMemory
from newsqa.bot.telegram._ratelimit import RateLimiter
from newsqa.bot.telegram._secrets import read_token
from newsqa.index import ConfigError
from newsqa.retrieval import Config
from tests.bot.telegram.bot_fakes import TOKEN, FakeRetriever, StubRequest


@pytest.mark.parametrize(
    "value, ok",
    [
        (TOKEN, True),
        ("", False),
        ("   ", False),
        ("abc:defghijklmnopqrstuvwxyz0123456789", False),
        ("123:short", False),
        ("123:has spaces in it but is long enough!!", False),
    ],
)
def test_read_token(value: str, ok: bool) -> None:
    token, problem = read_token({TOKEN_ENV: value})
    assert (token == value.strip() != "") is ok and bool(problem) is not ok
    if value.strip():
        assert value.strip() not in problem


def test_run_bot_without_token_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bot(Config(), environ={}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and TOKEN_ENV in err


def test_run_bot_with_malformed_token_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bot(Config(), environ={TOKEN_ENV: "12345:tooshort"}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "malformed" in err and "tooshort" not in err


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"mode": "push"}, "bot.mode"),
        ({"mode": "webhook"}, "bot.webhook_url"),
        ({"mode": "webhook", "webhook_url": "https://x/newsqa", "webhook_port": 0}, "webhook_port"),
        ({"webhook_secret_token": "has space"}, "webhook_secret_token"),
        ({"hits_per_page": 0}, "hits_per_page"),
        ({"base_url": "api.telegram.org"}, "base_url"),
    ],
)
def test_bad_bot_config_is_one_line(
    changes: dict[str, Any],
    fragment: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The [bot] section checks itself when built, so no bad config reaches run_bot...
    with pytest.raises(ConfigError, match=fragment) as refused:
        Config().with_section("bot", **changes)
    assert "\n" not in str(refused.value)
    # ...and `newsqa bot` refuses it in one line with status 2, before reading the token.
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[bot]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in changes.items()),
        encoding="utf-8",
    )
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert main(["--config", str(bad), "bot"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err


def test_good_webhook_config_passes() -> None:
    config = Config().with_section(
        "bot",
        mode="webhook",
        webhook_url="https://x.example/newsqa",
        webhook_secret_token="abc_DEF-123",
    )
    assert check_environment(config) == ""  # tornado is installed here


def test_webhook_mode_without_tornado_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Config().with_section("bot", mode="webhook", webhook_url="https://x.example/h")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tornado" else real_find_spec(name, *a),
    )
    assert run_bot(config, environ={}) == 2  # checked before the (missing) token
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "webhooks extra" in err


def test_redacting_filter_cleans_message_args_and_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("tests.bot.redact")
    filt = RedactingFilter([TOKEN])
    caplog.handler.addFilter(filt)
    try:
        with caplog.at_level(logging.INFO):
            log.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
            try:
                raise RuntimeError(f"failed: /bot{TOKEN}/sendMessage")
            except RuntimeError:
                log.exception("oops")
            secret_half = TOKEN.split(":", 1)[1]
            log.warning("half %s", secret_half)
    finally:
        caplog.handler.removeFilter(filt)
    assert TOKEN not in caplog.text and TOKEN.split(":", 1)[1] not in caplog.text
    assert caplog.text.count("[REDACTED]") >= 3


def test_install_redaction_quiets_httpx_and_replaces_old_filters() -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        install_redaction(["first-secret-value"])
        install_redaction([TOKEN])
        filters = [f for f in handler.filters if isinstance(f, RedactingFilter)]
        assert len(filters) == 1
        assert logging.getLogger("httpx").level == logging.WARNING
    finally:
        root.removeHandler(handler)


def test_redact() -> None:
    assert redact("a SECRET b SECRET", ["SECRET", ""]) == "a [REDACTED] b [REDACTED]"


def test_rate_limiter_sliding_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert limiter.check(1).allowed and limiter.check(1).allowed
    refused = limiter.check(1)
    assert not refused.allowed and refused.retry_after == 10 and refused.first_refusal
    assert not limiter.check(1).first_refusal
    assert limiter.check(2).allowed
    now[0] = 10.5
    assert limiter.check(1).allowed
    assert RateLimiter(0, 10.0).check(1).allowed  # disabled


def test_answer_memory_lru() -> None:
    memory = AnswerMemory(2)
    first = memory.remember((1, 0), [], 1)
    memory.remember((2, 0), [], 1)
    assert memory.find(1, first.key) is first  # touches chat 1
    memory.remember((3, 0), [], 1)
    assert memory.get((2, 0)) is None and memory.get((1, 0)) is first and len(memory) == 2
    assert memory.find(1, "other-key") is None and memory.find(9, first.key) is None
    again = memory.remember((1, 0), [], 1)  # a newer answer: the old button expires
    assert memory.find(1, first.key) is None and memory.find(1, again.key) is again
    memory.forget((1, 0))
    assert memory.get((1, 0)) is None and memory.find(1, again.key) is None


def test_answer_memory_keeps_group_members_apart() -> None:
    memory = AnswerMemory(10)
    a = memory.remember((-5, 1), [], 1)
    b = memory.remember((-5, 2), [], 1)
    assert memory.get((-5, 1)) is a and memory.get((-5, 2)) is b
    assert memory.find(-5, a.key) is a  # anyone in the chat may press a's button


def test_run_bot_without_an_index_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Config().with_section("index", dir=str(tmp_path / "nothing-here"))
    assert run_bot(config, environ={TOKEN_ENV: TOKEN}) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsqa bot: error: cannot load the index") and TOKEN not in err


@pytest.mark.parametrize(
    "status, description, code",
    [
        (401, "Unauthorized", 2),
        (502, "Bad Gateway", 1),
    ],
)
def test_run_bot_start_up_failures(
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeRetriever,
    capsys: pytest.CaptureFixture[str],
    status: int,
    description: str,
    code: int,
) -> None:
    import newsqa.retrieval as retrieval

    stub = StubRequest()
    stub.failures["getMe"] = (
        status,
        {"ok": False, "error_code": status, "description": description},
    )
    monkeypatch.setattr(retrieval.Retriever, "open", classmethod(lambda cls, config: fake))
    real_build = bot_app.build_application
    monkeypatch.setattr(
        bot_app,
        "build_application",
        lambda config, retriever, token: real_build(config, retriever, token, request=stub),
    )
    assert run_bot(Config(), environ={TOKEN_ENV: TOKEN}) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and TOKEN not in err
