"""Where a chunk was published (origin, page, url) in the local store, an article's
chunks in reading order, and indexes written before those fields existed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from newsqa.index import IndexReader, build_index
from newsqa.index._backends.local._checksums import write_checksums
from newsqa.index._backends.local._layout import CATALOG, IndexLayout
from tests.conftest import FakeEmbedder, make_config

_LONG = [
    "冠县妇联主席齐红梅介绍，电商行业妇联由二十名执委组成。",
    "执委们来自县里的电商企业，平均年龄不到三十五岁。",
    "下一步，妇联将组织直播培训，帮助更多女性就业创业。",
]


def _write(folder: Path) -> None:
    records = [
        {
            "id": "long",
            "title": "冠县成立电商行业妇联",
            "text": "\n".join(_LONG),
            "source": "中国妇女报",
            "date": "2023-03-22",
            "page": "5",
            "url": "https://example.org/a/long",
        },
    ]
    short = {"id": "short", "title": "宁德法治宣传", "text": "林芳玲宣讲反家庭暴力法。"}
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    (folder / "paper.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "other.jsonl").write_text(json.dumps(short, ensure_ascii=False) + "\n", "utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    _write(folder)
    return folder


def test_article_chunks_in_reading_order_with_publication(tmp_path: Path, corpus: Path) -> None:
    cfg = make_config(tmp_path, [corpus])
    build_index(cfg, embedder=FakeEmbedder())
    reader = IndexReader.open(cfg)
    try:
        chunks = reader.article_chunks("long")
        assert [c.text for c in chunks] == _LONG
        assert [c.paragraph_index for c in chunks] == [0, 1, 2]
        assert {(c.origin, c.page, c.url, c.date) for c in chunks} == {
            ("中国妇女报", "5", "https://example.org/a/long", "2023-03-22")
        }
        [short] = reader.article_chunks("short")
        assert (short.origin, short.page, short.url) == ("", "", "")
        assert reader.article_chunks("no such article") == []
        # the same fields come back through chunks(keys)
        found = reader.chunks(reader.keys().tolist())
        assert {c.origin for c in found if c.article_id == "long"} == {"中国妇女报"}
    finally:
        reader.close()


def test_article_chunks_skip_deleted_rows(tmp_path: Path, corpus: Path) -> None:
    cfg = make_config(tmp_path, [corpus])
    emb = FakeEmbedder()
    build_index(cfg, embedder=emb)
    path = corpus / "paper.jsonl"
    path.write_text(path.read_text("utf-8").replace("直播培训", "线上培训"), "utf-8")
    report = build_index(cfg, embedder=emb)
    assert report.changed == 1 and report.embedded == 1
    reader = IndexReader.open(cfg)
    try:
        assert reader.info.segments == 2  # the old rows are deleted, not gone
        chunks = reader.article_chunks("long")
        assert [c.text for c in chunks] == [*_LONG[:2], _LONG[2].replace("直播", "线上")]
        assert chunks[0].origin == "中国妇女报"
    finally:
        reader.close()


# -- an index written before publication fields existed ----------------------------

SAMPLE = Path(__file__).resolve().parents[3] / "index" / "sample_corpus"


def _as_before(root: Path) -> None:
    """Make the served index look like one an older newsqa wrote: no origin, page or url
    columns in the chunks, no page in the articles, a page's paper unknown, and no
    ingestion version in the file catalog (checksums recorded again, as it would have)."""
    layout = IndexLayout(root)
    gen = layout.current()
    manifest = json.loads((gen / "manifest.json").read_text("utf-8"))
    for seg in manifest["segments"]:
        folder = layout.segments / seg["name"]
        conn = sqlite3.connect(folder / "meta.sqlite")
        with conn:
            conn.execute("DROP INDEX chunks_article")
            for column in ("origin", "page", "url"):
                conn.execute(f"ALTER TABLE chunks DROP COLUMN {column}")
            conn.execute("ALTER TABLE articles DROP COLUMN page")
            conn.execute("UPDATE articles SET origin = '' WHERE source_path LIKE '%.txt'")
        conn.execute("VACUUM")
        conn.close()
        write_checksums(folder)
    catalog = json.loads((gen / CATALOG).read_text("utf-8"))
    for entry in catalog.values():
        del entry["ingest"]
    (gen / CATALOG).write_text(json.dumps(catalog, ensure_ascii=False), "utf-8")
    manifest.pop("checksums", None)
    layout.write_manifest(gen, manifest)


def test_an_older_index_serves_and_is_updated_without_embedding(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("2024-03-21_page01.txt", "2024-03_briefs.jsonl"):
        (folder / name).write_bytes((SAMPLE / name).read_bytes())
    cfg = make_config(tmp_path, [folder])
    emb = FakeEmbedder()
    first = build_index(cfg, embedder=emb)
    _as_before(Path(cfg.index.dir))

    reader = IndexReader.open(cfg)  # served as it is: what it kept, and "" for the rest
    try:
        rows = reader.chunks(reader.keys().tolist())
        assert len(rows) == first.chunks
        briefs = [c for c in rows if c.source_path.endswith(".jsonl")]
        pages = [c for c in rows if c.source_path.endswith(".txt")]
        assert briefs and all(c.origin == "中国妇女报·地方简讯" for c in briefs)
        assert any(c.url == "https://example.org/news/2024/0318/yanan" for c in briefs)
        assert pages and all((c.origin, c.page) == ("", "") for c in pages)
        assert [c.text for c in reader.article_chunks(pages[0].article_id)][:1] == [pages[0].text]
    finally:
        reader.close()

    emb.encoded.clear()
    report = build_index(cfg, embedder=emb)
    assert report.embedded == 0 and emb.encoded == [] and not report.full
    assert (report.added, report.changed, report.removed) == (0, 0, 0)
    assert report.files_read == 2 and report.chunks == first.chunks
    reader = IndexReader.open(cfg)
    try:
        rows = reader.chunks(reader.keys().tolist())
        pages = [c for c in rows if c.source_path.endswith(".txt")]
        assert {(c.origin, c.page, c.date) for c in pages} == {("中国妇女报", "1", "2024-03-21")}
        assert reader.info.segments == 2  # the briefs kept their rows, the page rewritten
    finally:
        reader.close()

    again = build_index(cfg, embedder=emb)
    assert again.files_read == 0 and again.embedded == 0
