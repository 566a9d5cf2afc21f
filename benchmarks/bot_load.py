"""Load check of ``newsqa bot``: many readers asking at once through the Bot API emulator.

Starts the patched telegram-test-api emulator (Node.js; ``.ci/install-node-deps.sh``),
builds an index of a small built-in corpus with the real model in a temporary folder
(or uses ``--config``'s index), runs the bot in-process by long polling, then lets
``--readers`` simulated readers send one question each at the same moment. Every reply
is checked (right article title, or the polite "not found" for the off-topic
question), and p50/p95/max reply latency is printed. Exit code 1 if any reply is
wrong or missing.

    python -m benchmarks.bot_load                # 50 readers, built-in corpus
    python -m benchmarks.bot_load --readers 200 --concurrency 32
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from newsqa.bot.telegram import build_application
from newsqa.bot.telegram._texts import NOT_FOUND  # the reply to check against
from newsqa.retrieval import Config, Retriever, load_config
from tests.emulator import BotThread, Emulator, EmulatorError

TOKEN = "737373:AALoadCheckTokenForTheEmulatorOnly_abc"

CORPUS = [
    {
        "id": "tea",
        "title": "西湖龙井春茶开采",
        "date": "2024-03-22",
        "text": "杭州西湖龙井茶园于三月二十五日开始采摘明前茶，比去年提前了三天。\n"
        "茶农介绍，今年春季气温偏高，茶芽萌发早，预计明前茶产量增长一成。",
    },
    {
        "id": "bridge",
        "title": "长江新大桥正式通车",
        "date": "2024-03-18",
        "text": "新建的芜湖长江新大桥于三月十八日上午十时正式通车。\n"
        "大桥全长四千二百米，设双向六车道，设计时速一百公里。",
    },
    {
        "id": "html",
        "title": "编程语言评测：C&C++ 与 <Rust>",
        "date": "2024-03-20",
        "text": "评测报告指出，把 <b>粗体</b> 标签和 A&B 公司的代码放在同一个测试套件里，"
        "编译器在第三轮就报错了。",
    },
    {
        "id": "library",
        "title": "社区图书馆延长开放时间",
        "date": "2024-03-21",
        "text": "从四月一日起，城东社区图书馆周末开放时间延长到晚上九点。\n"
        "馆内新增儿童阅读区，配备绘本三千册。",
    },
    {
        "id": "panda",
        "title": "大熊猫双胞胎在成都出生",
        "date": "2024-03-25",
        "text": "成都大熊猫繁育研究基地三月二十四日迎来一对大熊猫双胞胎，"
        "哥哥出生体重一百八十克，妹妹一百五十克。",
    },
]

QUESTIONS: list[tuple[str, str | None]] = [
    ("西湖龙井什么时候开始采摘明前茶？", "西湖龙井春茶开采"),
    ("西湖龍井什麼時候開始採摘明前茶？", "西湖龙井春茶开采"),
    ("长江新大桥什么时候通车？", "长江新大桥正式通车"),
    ("评测报告里粗体标签和A&B公司的代码怎么了？", "编程语言评测：C&amp;C++ 与 &lt;Rust&gt;"),
    ("社区图书馆周末开到几点？", "社区图书馆延长开放时间"),
    ("大熊猫双胞胎哥哥出生体重多少？", "大熊猫双胞胎在成都出生"),
    ("火星上今天天气怎么样？", None),
]


def _index(args: argparse.Namespace, tmp: Path) -> Config:
    if args.config:
        return load_config(args.config)
    from newsqa.index import build_index

    corpus = tmp / "news.jsonl"
    corpus.write_text(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in CORPUS), encoding="utf-8"
    )
    config = Config().with_section("index", dir=str(tmp / "index"))
    config = config.with_section("corpus", paths=(str(corpus),))
    started = time.perf_counter()
    build_index(config)
    sys.stderr.write(f"built the index in {time.perf_counter() - started:.1f} s\n")
    return config


def _check(text: str, expected: str | None) -> bool:
    if expected is None:
        return text == NOT_FOUND
    return text.startswith(f"<b>{expected}</b>\n<blockquote>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="bot.concurrent_updates (default 16, the shipped default)",
    )
    parser.add_argument("--config", help="use this config's index instead of the built-in one")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmpdir:
        config = _index(args, Path(tmpdir))
        started = time.perf_counter()
        retriever = Retriever.open(config)
        sys.stderr.write(f"loaded index and model in {time.perf_counter() - started:.1f} s\n")
        with retriever:  # closes the index when the check ends
            try:
                emulator = Emulator().start()
            except EmulatorError as exc:
                sys.stderr.write(f"bot_load: {exc}\n")
                return 2
            with emulator:
                config = config.with_section(
                    "bot",
                    base_url=emulator.base_url,
                    rate_limit_count=0,
                    concurrent_updates=args.concurrency,
                )
                app = build_application(config, retriever, TOKEN)
                with BotThread(app, poll_timeout=5):
                    warm = emulator.reader(TOKEN, user_id=1)
                    warm.say(QUESTIONS[0][0])
                    warm.reply(timeout=60)
                    return _run(emulator, args.readers)


def _run(emulator: Emulator, readers: int) -> int:
    barrier = threading.Barrier(readers)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        question, expected = QUESTIONS[index % len(QUESTIONS)]
        reader = emulator.reader(TOKEN, user_id=10_000 + index)
        barrier.wait()
        started = time.perf_counter()
        reader.say(question)
        try:
            reply = reader.reply(timeout=120)
        except EmulatorError as exc:
            with lock:
                failures.append(f"reader {index}: {exc}")
            return
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if not _check(reply.text, expected):
                failures.append(f"reader {index}: {question!r} -> {reply.text[:120]!r}")

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=readers) as pool:
        list(pool.map(one, range(readers)))
    wall = time.perf_counter() - wall

    latencies.sort()
    if latencies:
        p50 = statistics.median(latencies)
        p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
        sys.stdout.write(
            f"readers={readers} replies={len(latencies)} wrong_or_missing={len(failures)}\n"
            f"latency p50={p50 * 1000:.0f} ms p95={p95 * 1000:.0f} ms "
            f"max={latencies[-1] * 1000:.0f} ms; wall {wall:.2f} s "
            f"({len(latencies) / wall:.1f} replies/s)\n"
        )
    for failure in failures:
        sys.stdout.write(f"FAIL {failure}\n")
    return 1 if failures or len(latencies) < readers else 0


if __name__ == "__main__":
    sys.exit(main())
