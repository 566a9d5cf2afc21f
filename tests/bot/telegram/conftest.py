"""Fixtures for the bot tests: a stubbed app for unit tests; emulator, index and bot for e2e."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newsqa.bot.telegram import build_application
from newsqa.retrieval import Config
from tests.bot.telegram.bot_fakes import ARTICLES, TOKEN, FakeRetriever, StubRequest
from tests.emulator import EMULATOR_DIR, BotThread, Emulator, Reader


@pytest.fixture
def fake() -> FakeRetriever:
    return FakeRetriever(list(ARTICLES))


@pytest.fixture
def stub() -> StubRequest:
    return StubRequest()


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    """Per-test overrides of the [bot] section (edit before using ``app``)."""
    return {"admin_chat_ids": (900,), "rate_limit_count": 100, "max_hits": 3}


@pytest.fixture
async def app(
    fake: FakeRetriever, stub: StubRequest, bot_settings: dict[str, Any]
) -> AsyncIterator[Any]:
    config = Config().with_section("bot", **bot_settings)
    application = build_application(config, fake, TOKEN, request=stub)
    await application.initialize()
    stub.clear()
    try:
        yield application
    finally:
        await application.shutdown()


@pytest.fixture
def make_app(fake: FakeRetriever, stub: StubRequest) -> Callable[..., Any]:
    """Build (not initialise) an app with given [bot] settings."""

    def make(**settings: Any) -> Any:
        return build_application(
            Config().with_section("bot", **settings), fake, TOKEN, request=stub
        )

    return make


# ---- end-to-end: the telegram-test-api emulator and the real retriever -------------------

E2E_TOKEN = "424242:AAE2eTestTokenForTheEmulator_abcdefghij"
ADMIN_CHAT = 9000
E2E_RATE_LIMIT = 3
ROOT = Path(__file__).resolve().parents[3]

CORPUS: list[dict[str, str]] = [  # the bridge article has a page and a URL: a linked citation
    {
        "id": "tea",
        "title": "西湖龙井春茶开采",
        "date": "2024-03-22",
        "source": "测试晚报",
        "text": "杭州西湖龙井茶园于三月二十五日开始采摘明前茶，比去年提前了三天。\n"
        "茶农介绍，今年春季气温偏高，茶芽萌发早，预计明前茶产量增长一成。",
    },
    {
        "id": "bridge",
        "title": "长江新大桥正式通车",
        "date": "2024-03-18",
        "source": "测试晚报",
        "page": "3",
        "url": "https://news.example.com/bridge?id=7&from=test",
        "text": "新建的芜湖长江新大桥于三月十八日上午十时正式通车。\n"
        "大桥全长四千二百米，设双向六车道，设计时速一百公里，过江时间由四十分钟缩短到五分钟。",
    },
    {
        "id": "html",
        "title": "编程语言评测：C&C++ 与 <Rust>",
        "date": "2024-03-20",
        "source": "测试晚报",
        "text": "评测报告指出，把 <b>粗体</b> 标签和 A&B 公司的代码放在同一个测试套件里，"
        "编译器在第三轮就报错了。\n报告作者建议在网页模板中统一转义尖括号和 & 符号。",
    },
    {
        "id": "library",
        "title": "社区图书馆延长开放时间",
        "date": "2024-03-21",
        "source": "测试晚报",
        "text": "从四月一日起，城东社区图书馆周末开放时间延长到晚上九点。\n"
        "馆内新增儿童阅读区，配备绘本三千册。",
    },
]
LATE_ARTICLE = {
    "id": "panda",
    "title": "大熊猫双胞胎在成都出生",
    "date": "2024-03-25",
    "source": "测试晚报",
    "text": "成都大熊猫繁育研究基地三月二十四日迎来一对大熊猫双胞胎，"
    "哥哥出生体重一百八十克，妹妹一百五十克。",
}


def write_corpus(path: Path, articles: list[dict[str, str]]) -> None:
    path.write_text(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8"
    )


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """The patched telegram-test-api emulator on 127.0.0.1 (OS-chosen port)."""
    if shutil.which("node") is None:
        pytest.skip(
            "Node.js (node) is not installed: the bot e2e tests need the telegram-test-api emulator"
        )
    if not (EMULATOR_DIR / "node_modules" / "telegram-test-api").is_dir():
        done = subprocess.run(
            [str(ROOT / ".ci" / "install-node-deps.sh")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f".ci/install-node-deps.sh failed: {done.stderr[-2000:]}")
    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def e2e_config(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Config:
    """A real index (default model) of a four-article corpus, built once per session."""
    from newsqa.index import build_index

    tmp = tmp_path_factory.mktemp("bot-e2e")
    corpus = tmp / "news.jsonl"
    write_corpus(corpus, CORPUS)
    config = Config().with_section("index", dir=str(tmp / "index"))
    config = config.with_section("corpus", paths=(str(corpus),))
    build_index(config, embedder=real_embedder)
    return config


@pytest.fixture(scope="session")
def e2e_retriever(e2e_config: Config, real_embedder: Any) -> Any:
    from newsqa.retrieval import Retriever

    return Retriever.open(e2e_config, embedder=real_embedder)


@pytest.fixture(scope="session")
def e2e_bot(emulator: Emulator, e2e_config: Config, e2e_retriever: Any) -> Iterator[Config]:
    """The bot, built by build_application, long-polling the emulator in a thread."""
    config = e2e_config.with_section(
        "bot",
        base_url=emulator.base_url,
        admin_chat_ids=(ADMIN_CHAT,),
        rate_limit_count=E2E_RATE_LIMIT,
        rate_limit_seconds=600.0,
        max_hits=3,
    )
    app = build_application(config, e2e_retriever, E2E_TOKEN)
    with BotThread(app, poll_timeout=5):
        yield config


_chat_ids = itertools.count(100)


@pytest.fixture
def reader(emulator: Emulator, e2e_bot: Config) -> Reader:
    """A fresh reader in a private chat with the e2e bot."""
    return emulator.reader(E2E_TOKEN, user_id=next(_chat_ids))
