"""The configuration: example file, environment overrides, bad input."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from newsqa.index import Config, ConfigError, load_config
from tests.conftest import ROOT

EXAMPLE = ROOT / "config.example.toml"


def test_example_documents_every_key_with_its_default() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    defaults = Config()
    for section in ("index", "model", "retrieval", "bot"):
        fields = {f.name for f in dataclasses.fields(getattr(defaults, section))}
        assert fields == set(data[section]), section
    assert "paths" in EXAMPLE.read_text(encoding="utf-8")  # corpus.paths, commented out
    loaded = load_config(EXAMPLE, environ={})
    assert dataclasses.replace(loaded, source="", corpus=defaults.corpus) == defaults


def test_environment_overrides_file(tmp_path: Path) -> None:
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text(
        '[index]\ndir = "from-file"\n[corpus]\npaths = ["pages"]\n', encoding="utf-8"
    )
    cfg = load_config(
        cfg_file,
        environ={
            "NEWSQA_INDEX_DIR": "/from/env",
            "NEWSQA_RETRIEVAL_TOP_K": "7",
            "NEWSQA_BOT_ADMIN_CHAT_IDS": "1, 2",
        },
    )
    assert cfg.index.dir == "/from/env"
    assert cfg.retrieval.top_k == 7
    assert cfg.bot.admin_chat_ids == (1, 2)
    assert cfg.corpus.paths == (str(tmp_path / "pages"),)  # relative to the file


def test_config_from_environment_variable(tmp_path: Path) -> None:
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text("[retrieval]\ntop_k = 3\n", encoding="utf-8")
    assert load_config(environ={"NEWSQA_CONFIG": str(cfg_file)}).retrieval.top_k == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[index\n", "cannot read config file"),
        ("[index]\nnope = 1\n", "unknown config key index.nope"),
        ("[retrieval]\ntop_k = 'many'\n", "retrieval.top_k"),
        ("[wat]\nx = 1\n", "unknown config key"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    cfg_file = tmp_path / "bad.toml"
    cfg_file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(cfg_file, environ={})


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml", environ={})


def test_every_default_validates() -> None:
    from newsqa.index import BotConfig, IndexConfig, MilvusConfig, ModelConfig, RetrievalConfig

    for section in (IndexConfig, ModelConfig, RetrievalConfig, BotConfig, MilvusConfig):
        section()  # raises if a default were out of its own range
    assert load_config(environ={}) == Config()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEWSQA_RETRIEVAL_TOP_K": "0"}, r"^config key retrieval\.top_k: 0 is out of range"),
        ({"NEWSQA_RETRIEVAL_CANDIDATES": "0"}, r"retrieval\.candidates: 0 .*at least 1"),
        ({"NEWSQA_RETRIEVAL_DENSE_WEIGHT": "1.5"}, r"retrieval\.dense_weight: 1\.5 .*\(0 to 1\)"),
        ({"NEWSQA_RETRIEVAL_DENSE_WEIGHT": "nan"}, r"retrieval\.dense_weight: nan"),
        ({"NEWSQA_RETRIEVAL_PROXIMITY_WEIGHT": "inf"}, r"retrieval\.proximity_weight: inf"),
        ({"NEWSQA_RETRIEVAL_PROXIMITY_WEIGHT": "-0.1"}, r"retrieval\.proximity_weight"),
        ({"NEWSQA_RETRIEVAL_RERANK_DEPTH": "-1"}, r"retrieval\.rerank_depth"),
        ({"NEWSQA_RETRIEVAL_MIN_COVERAGE": "2"}, r"retrieval\.min_coverage"),
        ({"NEWSQA_RETRIEVAL_MIN_DENSE": "-1.5"}, r"retrieval\.min_dense: -1\.5 .*\(-1 to 1\)"),
        ({"NEWSQA_RETRIEVAL_MAX_QUESTION_CHARS": "0"}, r"retrieval\.max_question_chars"),
        ({"NEWSQA_INDEX_MAX_CHUNK_CHARS": "5"}, r"index\.max_chunk_chars: 5 .*at least 20"),
        ({"NEWSQA_INDEX_APPROXIMATE_THRESHOLD": "0"}, r"index\.approximate_threshold"),
        ({"NEWSQA_INDEX_KEEP_GENERATIONS": "-1"}, r"index\.keep_generations"),
        ({"NEWSQA_INDEX_MAX_SEGMENTS": "0"}, r"index\.max_segments"),
        ({"NEWSQA_INDEX_MAX_REMOVAL_SHARE": "1.5"}, r"index\.max_removal_share: 1\.5 .*\(0 to 1\)"),
        ({"NEWSQA_INDEX_MAX_REMOVAL_SHARE": "-0.1"}, r"index\.max_removal_share"),
        ({"NEWSQA_INDEX_MAX_REMOVAL_SHARE": "nan"}, r"index\.max_removal_share: nan"),
        ({"NEWSQA_INDEX_RESUME_SLICE": "-1"}, r"index\.resume_slice: -1 .*\(at least 0\)"),
        ({"NEWSQA_INDEX_BACKEND": "elastic"}, r"index\.backend: 'elastic' is not one of"),
        ({"NEWSQA_MODEL_THREADS": "-1"}, r"model\.threads"),
        ({"NEWSQA_BOT_WEBHOOK_PORT": "0"}, r"bot\.webhook_port: 0 .*\(1 to 65535\)"),
        ({"NEWSQA_BOT_RATE_LIMIT_COUNT": "-1"}, r"bot\.rate_limit_count"),
        ({"NEWSQA_BOT_RATE_LIMIT_SECONDS": "0"}, r"bot\.rate_limit_seconds: 0\.0 .*above 0"),
        ({"NEWSQA_BOT_MAX_HITS": "0"}, r"bot\.max_hits"),
        ({"NEWSQA_BOT_REMEMBERED_CHATS": "0"}, r"bot\.remembered_chats"),
        ({"NEWSQA_BOT_POLL_INTERVAL": "-1"}, r"bot\.poll_interval"),
        ({"NEWSQA_BOT_POLL_TIMEOUT": "-1"}, r"bot\.poll_timeout"),
        ({"NEWSQA_BOT_CONCURRENT_UPDATES": "0"}, r"bot\.concurrent_updates"),
        ({"NEWSQA_BOT_MODE": "webhook"}, r"bot\.webhook_url"),
        ({"NEWSQA_MILVUS_VECTOR_INDEX": "IVF"}, r"milvus\.vector_index: 'IVF' is not one of"),
        ({"NEWSQA_MILVUS_SEARCH_EF": "0"}, r"milvus\.search_ef"),
        ({"NEWSQA_MILVUS_TIMEOUT": "0"}, r"milvus\.timeout: 0\.0 .*above 0"),
        ({"NEWSQA_MILVUS_BATCH_SIZE": "0"}, r"milvus\.batch_size"),
    ],
)
def test_out_of_range_is_one_line_naming_the_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        load_config(environ=env)
    assert "\n" not in str(refused.value)


def test_edges_of_the_ranges_are_accepted() -> None:
    cfg = load_config(
        environ={
            "NEWSQA_RETRIEVAL_DENSE_WEIGHT": "1",
            "NEWSQA_RETRIEVAL_PROXIMITY_WEIGHT": "0",
            "NEWSQA_RETRIEVAL_RERANK_DEPTH": "0",
            "NEWSQA_RETRIEVAL_MIN_DENSE": "-1",
            "NEWSQA_INDEX_MAX_CHUNK_CHARS": "20",
            "NEWSQA_INDEX_KEEP_GENERATIONS": "0",
            "NEWSQA_INDEX_MAX_REMOVAL_SHARE": "1",
            "NEWSQA_INDEX_RESUME_SLICE": "0",
            "NEWSQA_BOT_RATE_LIMIT_COUNT": "0",
            "NEWSQA_BOT_RATE_LIMIT_SECONDS": "0",  # no limit: the window is unused
            "NEWSQA_BOT_WEBHOOK_PORT": "65535",
            "NEWSQA_BOT_POLL_TIMEOUT": "0",
            "NEWSQA_MILVUS_VECTOR_INDEX": "flat",  # any letter case
        }
    )
    assert cfg.retrieval.dense_weight == 1.0 and cfg.bot.rate_limit_seconds == 0.0
    assert cfg.milvus.vector_index == "FLAT"
    assert cfg.index.max_removal_share == 1.0
    assert cfg.index.resume_slice == 0
    assert load_config(environ={"NEWSQA_INDEX_MAX_REMOVAL_SHARE": "0"}).index.max_removal_share == 0


def test_private_is_a_bool_on_by_default() -> None:
    assert load_config(environ={}).index.private is True
    assert load_config(environ={"NEWSQA_INDEX_PRIVATE": "false"}).index.private is False


def test_keys_checked_together_see_the_file_and_the_environment(tmp_path: Path) -> None:
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text('[bot]\nmode = "webhook"\n', encoding="utf-8")
    cfg = load_config(cfg_file, environ={"NEWSQA_BOT_WEBHOOK_URL": "https://x.example/newsqa"})
    assert (cfg.bot.mode, cfg.bot.webhook_url) == ("webhook", "https://x.example/newsqa")
    with pytest.raises(ConfigError, match=r"bot\.webhook_url"):
        load_config(cfg_file, environ={})


def test_webhook_secret_is_never_repeated() -> None:
    with pytest.raises(ConfigError, match="webhook_secret_token") as refused:
        load_config(environ={"NEWSQA_BOT_WEBHOOK_SECRET_TOKEN": "not valid!"})
    assert "not valid" not in str(refused.value)
