"""Bad corpus files: each is one short warning naming it, never a traceback or a hang.

Special files, symlink loops, undecodable names, lone surrogates in JSONL, Big5 and
UTF-16 without a BOM, garbage text, files changing while they are read, and messages
that say what is wrong. In every case the other files of the corpus are still ingested.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from newsqa.index import build_index
from newsqa.index._ingest import Corpus, _readfile, ingest, walk_corpus
from newsqa.index._ingest._decode import DecodeError, decode_bytes
from tests.conftest import FakeEmbedder, make_config

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX special files")

PAGE = "\n\n".join(
    [
        "湖北恩施举办女性茶艺大赛",
        "□ 中国妇女报全媒体记者 田静",
        "3月10日,湖北恩施州举办首届女性茶艺大赛,来自8个县市的64名选手参赛。",
        "大赛设茶艺表演和制茶技艺两个项目,土家族选手向红获得一等奖。",
    ]
)
TITLE = "湖北恩施举办女性茶艺大赛"
TRADITIONAL = "\n\n".join(
    [
        "臺灣新竹舉辦婦女創業博覽會",
        "□ 本報記者 陳美玲",
        "3月12日，新竹縣婦女會舉辦首屆婦女創業博覽會，來自12個鄉鎮的86家攤位參展。",
        "博覽會設手工藝品和農產品兩個展區，吸引參觀民眾逾兩萬人次。",
    ]
)


def ingest_in_time(paths: Sequence[str | Path], seconds: float = 20) -> Corpus:
    """``ingest(paths)``, failing the test (not hanging it) when it blocks."""
    result: list[Corpus] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(ingest(paths))
        except BaseException as exc:  # re-raised in the test thread
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "ingest blocked"
    if errors:
        raise errors[0]
    return result[0]


def good_page(folder: Path) -> Path:
    path = folder / "a_good.txt"
    path.write_text(PAGE, encoding="utf-8")
    return path


def one_warning(corpus: Corpus, name: str) -> str:
    """The single warning of the corpus; it is one line and names ``name``."""
    (warning,) = corpus.warnings
    assert name in warning and "\n" not in warning and len(warning) < 400
    warning.encode("utf-8")  # printable: no lone surrogates
    return warning


def only_good_article(corpus: Corpus) -> None:
    assert [a.title for a in corpus.articles] == [TITLE]


# 1. special files and huge files


@posix_only
def test_named_pipe_is_skipped_without_blocking(tmp_path: Path) -> None:
    good_page(tmp_path)
    os.mkfifo(tmp_path / "pipe.txt")
    corpus = ingest_in_time([tmp_path])
    only_good_article(corpus)
    assert "named pipe" in one_warning(corpus, "pipe.txt")
    (skipped,) = [f for f in corpus.files if f.skipped]
    assert skipped.path.endswith("pipe.txt")


@posix_only
def test_named_pipe_given_directly_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jsonl")
    corpus = ingest_in_time([tmp_path / "pipe.jsonl", good_page(tmp_path)])
    only_good_article(corpus)
    assert "not a regular file" in one_warning(corpus, "pipe.jsonl")


@posix_only
def test_socket_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good_page(tmp_path)
    monkeypatch.chdir(tmp_path)  # a socket path must be short
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("sock.md")
        corpus = ingest_in_time([tmp_path])
    only_good_article(corpus)
    assert "socket" in one_warning(corpus, "sock.md")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_symlink_to_dev_zero_is_not_read(tmp_path: Path) -> None:
    good_page(tmp_path)
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    corpus = ingest_in_time([tmp_path])
    only_good_article(corpus)
    warning = one_warning(corpus, "zero.txt")
    assert "/dev/zero" in warning and "character device" in warning


def test_huge_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good_page(tmp_path)
    (tmp_path / "b_huge.txt").write_text(PAGE * 20, encoding="utf-8")
    monkeypatch.setattr(_readfile, "MAX_FILE_BYTES", 4096)
    corpus = ingest([tmp_path])
    only_good_article(corpus)
    assert "too large" in one_warning(corpus, "b_huge.txt")


# 2. symlink loops


def test_symlink_to_itself_is_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good_page(tmp_path)
    (tmp_path / "self.txt").symlink_to("self.txt")
    with caplog.at_level(logging.WARNING, logger="newsqa.index._ingest"):
        corpus = ingest([tmp_path])
    only_good_article(corpus)
    assert "symlink loop" in one_warning(corpus, "self.txt")
    assert [r.getMessage() for r in caplog.records] == list(corpus.warnings)


def test_symlink_loop_between_two_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good_page(tmp_path)
    (tmp_path / "x.txt").symlink_to("y.txt")
    (tmp_path / "y.txt").symlink_to("x.txt")
    corpus = ingest([tmp_path])
    only_good_article(corpus)
    x_warning, y_warning = corpus.warnings  # one per link, each naming it
    assert "x.txt: symlink loop" in x_warning and "y.txt: symlink loop" in y_warning
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="newsqa.index._ingest"):
        files = walk_corpus([tmp_path])  # what the build reads: the loops are left out
    assert [p.name for p, _ in files] == ["a_good.txt"]
    assert len(caplog.records) == 2


def test_symlink_loop_given_directly_is_a_corpus_error(tmp_path: Path) -> None:
    from newsqa.index import CorpusError

    (tmp_path / "self.txt").symlink_to("self.txt")
    with pytest.raises(CorpusError, match="symlink loop"):
        ingest([tmp_path / "self.txt"])


def test_folder_symlink_to_its_parent_is_one_warning(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    good_page(sub)
    (sub / "up").symlink_to("..", target_is_directory=True)
    (sub / "here").symlink_to(".", target_is_directory=True)
    corpus = ingest_in_time([tmp_path])
    only_good_article(corpus)
    here, up = corpus.warnings
    assert "sub/here: symlink loop" in here and "sub/up: symlink loop" in up
    assert all("\n" not in w for w in corpus.warnings)


def test_folder_symlink_elsewhere_is_still_not_followed_silently(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    good_page(other)
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "link").symlink_to(other, target_is_directory=True)
    corpus = ingest([corpus_dir])
    assert corpus.files == ()


# 3. file names that are not UTF-8


@pytest.mark.skipif(os.name != "posix" or os.uname().sysname == "Darwin", reason="byte names")
def test_file_name_not_utf8_is_skipped_with_a_printable_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good_page(tmp_path)
    with open(os.path.join(os.fsencode(str(tmp_path)), b"bad\xff.txt"), "wb") as f:
        f.write(PAGE.encode("utf-8"))
    with caplog.at_level(logging.WARNING, logger="newsqa.index._ingest"):
        corpus = ingest([tmp_path])
    only_good_article(corpus)
    warning = one_warning(corpus, "bad\\xff.txt")
    assert "not valid UTF-8" in warning
    for report in corpus.files:
        report.path.encode("utf-8")
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    print(warning, *(r.getMessage() for r in caplog.records), file=out)  # does not raise
    out.flush()
    assert [p.name for p, _ in walk_corpus([tmp_path])] == ["a_good.txt"]


@pytest.mark.skipif(os.name != "posix" or os.uname().sysname == "Darwin", reason="byte names")
def test_folder_name_not_utf8_is_one_warning(tmp_path: Path) -> None:
    good_page(tmp_path)
    folder = os.path.join(os.fsencode(str(tmp_path)), b"dir\xfe")
    os.mkdir(folder)
    for name in (b"one.txt", b"two.txt"):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(PAGE.encode("utf-8"))
    corpus = ingest([tmp_path])
    only_good_article(corpus)
    assert "not valid UTF-8" in one_warning(corpus, "dir\\xfe")


# 4. JSONL with a lone surrogate


def test_jsonl_lone_surrogate_skips_that_record_only(tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": "第一条", "text": "第一条新闻的正文。"}, ensure_ascii=False),
        '{"title": "坏记录", "text": "正文\\ud800结束"}',
        json.dumps({"title": "第三条", "text": "第三条新闻的正文。"}, ensure_ascii=False),
        '{"title": "坏作者", "text": "正文。", "author": "\\udc00"}',
        json.dumps({"title": "表情", "text": "成对的代理项 \\ud83d\\ude00 没有问题。"}),
    ]
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = ingest([path])
    assert [a.title for a in corpus.articles] == ["第一条", "第三条", "表情"]
    text_warning, author_warning = corpus.warnings
    assert f"{path.resolve()}:2: text holds a lone surrogate" in text_warning
    assert f"{path.resolve()}:4: author holds a lone surrogate" in author_warning
    for article in corpus.articles:
        for p in article.paragraphs:
            p.text.encode("utf-8")


# 5. encodings and garbage


def test_big5_page_is_decoded_as_big5(tmp_path: Path) -> None:
    good_page(tmp_path)
    path = tmp_path / "b_big5.txt"
    path.write_bytes(TRADITIONAL.encode("big5"))
    assert TRADITIONAL.encode("big5").decode("gb18030")  # valid GB18030 too: mojibake
    corpus = ingest([tmp_path])
    assert corpus.warnings == ()
    good, big5 = corpus.articles
    assert good.title == TITLE
    assert big5.title == "臺灣新竹舉辦婦女創業博覽會" and "陳美玲" in big5.author
    assert big5.paragraphs[-1].text == "博覽會設手工藝品和農產品兩個展區，吸引參觀民眾逾兩萬人次。"
    for p in big5.paragraphs:
        assert TRADITIONAL[p.start : p.end] == p.text


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8", "utf-8-sig", "utf-16"])
def test_other_encodings_unchanged(encoding: str) -> None:
    text, _ = decode_bytes(PAGE.encode(encoding))
    assert text == PAGE
    assert decode_bytes(TRADITIONAL.encode("utf-16"))[0] == TRADITIONAL


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_decoded(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(PAGE.encode(encoding))
    corpus = ingest([path])
    assert corpus.warnings == ()
    (article,) = corpus.articles
    assert article.title == TITLE and article.author == "田静"
    for p in article.paragraphs:
        assert PAGE[p.start : p.end] == p.text


def test_nul_bytes_at_every_other_position_but_not_text_are_named() -> None:
    data = "".join(chr(c) for c in range(1, 32)).encode("utf-16-le") * 8
    with pytest.raises(DecodeError, match="utf-16-le without a BOM, but not text"):
        decode_bytes(data)
    with pytest.raises(DecodeError, match=r"binary data \(NUL bytes\)"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("replacement.txt", ("\ufffd" * 200 + "新闻").encode("utf-8"), "U+FFFD replacement"),
        ("latin1.txt", PAGE.encode("utf-8").decode("latin-1").encode("utf-8"), "mojibake"),
        ("cp1252.md", PAGE.encode("utf-8").decode("cp1252", "replace").encode(), "mojibake"),
        ("gbk_latin1.txt", PAGE.encode("gbk").decode("latin-1").encode("utf-8"), "mojibake"),
        ("controls.txt", ("新闻\x01\x02\x03\x04" * 50).encode("utf-8"), "control characters"),
        ("c1.txt", ("新闻\x85\x90\x9f" * 50).encode("utf-8"), "control characters"),
    ],
)
def test_garbage_text_is_refused(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    good_page(tmp_path)
    (tmp_path / name).write_bytes(data)
    corpus = ingest([tmp_path])
    only_good_article(corpus)
    warning = one_warning(corpus, name)
    assert "cannot decode" in warning and reason in warning


def test_plain_english_and_a_few_accents_are_still_text() -> None:
    english = "The newspaper page\n\nA café in Zürich — naïve résumé. " * 3
    assert decode_bytes(english.encode("utf-8"))[0] == english
    mixed = PAGE + "\n\n\ufffd 一个替换字符不算垃圾。"
    assert decode_bytes(mixed.encode("utf-8"))[0] == mixed


# 6. a file that changes while it is read


def _rewrite_while_reading(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[int]:
    """Make the next read of ``path`` see the file rewritten mid-read; returns a counter."""
    original = _readfile._read_fd
    calls: list[int] = []

    def read_then_rewrite(fd: int, limit: int) -> bytes:
        data = original(fd, limit)
        if not calls:
            with path.open("a", encoding="utf-8") as f:
                f.write("\n\n补充一段新写入的文字。")
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
        calls.append(len(data))
        return data

    monkeypatch.setattr(_readfile, "_read_fd", read_then_rewrite)
    return calls


def test_file_changing_while_read_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "b_other.md").write_text("# 另一篇\n\n正文一段。\n", encoding="utf-8")
    path = good_page(tmp_path)
    calls = _rewrite_while_reading(monkeypatch, path)
    corpus = ingest([tmp_path])
    assert [a.title for a in corpus.articles] == ["另一篇"]
    assert "changed while being read" in one_warning(corpus, "a_good.txt")
    skipped = corpus.files[0]
    assert skipped.skipped and skipped.digest == ""
    again = ingest([tmp_path])  # read again: now stable
    assert [a.title for a in again.articles] == [TITLE, "另一篇"] and again.warnings == ()
    assert calls[0] == len(PAGE.encode("utf-8"))  # the hook ran once, on the first read


def test_file_replaced_while_read_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = good_page(tmp_path)
    original = _readfile._read_fd

    def read_then_replace(fd: int, limit: int) -> bytes:
        data = original(fd, limit)
        fresh = tmp_path / ".fresh"
        fresh.write_text(PAGE, encoding="utf-8")
        fresh.replace(path)  # same size, maybe the same mtime: a new inode
        return data

    monkeypatch.setattr(_readfile, "_read_fd", read_then_replace)
    corpus = ingest([path])
    assert corpus.articles == ()
    assert "changed while being read" in one_warning(corpus, "a_good.txt")


def test_build_reads_a_file_that_changed_while_read_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "b_other.md").write_text("# 另一篇\n\n正文一段。\n", encoding="utf-8")
    path = good_page(corpus_dir)
    cfg = make_config(tmp_path, [corpus_dir])
    with monkeypatch.context() as patch:
        _rewrite_while_reading(patch, path)
        first = build_index(cfg, embedder=FakeEmbedder())
    assert first.articles == 1 and len(first.warnings) == 1
    second = build_index(cfg, embedder=FakeEmbedder())
    assert second.articles == 2 and second.warnings == ()
    assert second.files_read == 1  # only the file skipped before


# 7. messages that say what is wrong


def test_jsonl_wrong_types_are_named(tmp_path: Path) -> None:
    lines = [
        '{"title": 123, "text": "正文。"}',
        '{"text": "正文。"}',
        '{"title": "标题", "text": 5}',
        '{"title": ["标题"], "text": "正文。"}',
        '{"title": "标题", "text": {"p": "正文"}}',
        '{"title": "标题", "text": "  "}',
        '{"title": "好的", "text": "正文。"}',
    ]
    path = tmp_path / "types.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    corpus = ingest([path])
    assert [a.title for a in corpus.articles] == ["好的"]
    reasons = [w.split(": ", 1)[1] for w in corpus.warnings]
    assert reasons == [
        "title is not a string (a number); line skipped",
        "missing title; line skipped",
        "text is not a string (a number); line skipped",
        "title is not a string (an array); line skipped",
        "text is not a string (an object); line skipped",
        "missing text; line skipped",
    ]
