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
