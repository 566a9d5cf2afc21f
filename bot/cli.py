"""The ``newsqa`` command line: a thin layer over the library functions.

Expected failures (no index yet, unreadable config, a model mismatch, ...) print one
line to stderr and exit non-zero: a bad configuration exits 2 for ``newsqa bot`` (a
service manager should not restart it) and 1 for the other commands, like every other
expected failure. Tracebacks are for bugs only (``-v`` shows them for expected
failures too). Heavy modules are imported only by the commands that need them, so
``newsqa --help`` and ``newsqa index status`` are instant; python-telegram-bot loads
only for ``newsqa bot``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING, Any, TextIO, get_args, get_type_hints

from newsqa.index import Config, ConfigError, ModelConfig, NewsqaError, load_config

from ._exits import EXIT_CONFIG, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK
from ._logging import setup_logging

if TYPE_CHECKING:
    from newsqa.index import BuildReport
    from newsqa.retrieval import Answer, Hit

__all__ = ["main"]

logger = logging.getLogger(__name__)

_BOLD, _RESET = "\033[1m", "\033[0m"
_ABSOLUTE_HELP = "print source files as absolute paths (default: relative to the corpus root)"


def _choices(section: type[Any], key: str) -> tuple[str, ...]:
    """The values a ``Literal``-typed config key allows, read from the config class."""
    return tuple(get_args(get_type_hints(section)[key]))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsqa",
        description="Answer Chinese questions from a news archive with quoted paragraphs.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings (default: $NEWSQA_CONFIG, else built-in defaults)",
    )
    parser.add_argument("--index", metavar="DIR", help="index folder (overrides index.dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    # --index is also accepted after the command (`newsqa index build --index DIR`)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--index",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="index folder (overrides index.dir)",
    )
    # how the embedding model runs (build, ask, eval, bot); not part of the index identity
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument(
        "--device",
        default=argparse.SUPPRESS,
        help="embed on cpu, cuda, cuda:N, mps or auto (overrides model.device)",
    )
    model.add_argument(
        "--model-backend",
        choices=_choices(ModelConfig, "backend"),
        default=argparse.SUPPRESS,
        help="embedding runtime (overrides model.backend)",
    )
    model.add_argument(
        "--quantize",
        choices=("none", *(q for q in _choices(ModelConfig, "quantize") if q)),
        default=argparse.SUPPRESS,
        help="int8 weights for onnx/openvino (overrides model.quantize)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    idx = sub.add_parser("index", help="build or inspect the index")
    idx_sub = idx.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    build = idx_sub.add_parser(
        "build", parents=[where, model], help="build or incrementally update the index"
    )
    build.add_argument(
        "--corpus",
        metavar="PATH",
        action="append",
        help="file or folder to index (repeatable; overrides corpus.paths)",
    )
    build.add_argument("--full", action="store_true", help="re-read and re-embed everything")
    build.add_argument(
        "--compact",
        action="store_true",
        help="merge every segment into one, dropping deleted rows (no re-embedding)",
    )
    build.add_argument(
        "--allow-mass-removal",
        action="store_true",
        help="publish even if more than index.max_removal_share of the chunks go",
    )
    build.add_argument("--json", action="store_true", help="print the report as JSON")
    status = idx_sub.add_parser("status", parents=[where], help="show the served index")
    status.add_argument("--json", action="store_true")
    check = idx_sub.add_parser(
        "check",
        parents=[where],
        help="verify the served index (read-only): one line per damaged file",
    )
    check.add_argument("--json", action="store_true", help="print the findings as JSON")

    corpus = sub.add_parser("corpus", help="check what ingestion finds")
    corpus_sub = corpus.add_subparsers(dest="corpus_command", required=True, metavar="ACTION")
    inspect = corpus_sub.add_parser("inspect", help="articles, titles, sections, authors")
    inspect.add_argument("paths", nargs="+", metavar="PATH")
    inspect.add_argument("--json", action="store_true")
    inspect.add_argument("--absolute-paths", action="store_true", help=_ABSOLUTE_HELP)

    ask = sub.add_parser("ask", parents=[where, model], help="answer a question")
    ask.add_argument("question", nargs="?", help="the question (Chinese)")
    ask.add_argument("-k", type=int, default=None, metavar="N", help="number of hits")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument(
        "--batch",
        metavar="FILE",
        help="one question per line ('-' for stdin); one answer per line, blank ones too",
    )
    ask.add_argument("--absolute-paths", action="store_true", help=_ABSOLUTE_HELP)

    ev = sub.add_parser(
        "eval", parents=[where, model], help="measure retrieval quality and latency"
    )
    ev.add_argument("--queries", required=True, metavar="Q.jsonl")
    ev.add_argument("--passages", metavar="P.jsonl", help="build the index from these passages")
    ev.add_argument(
        "--corpus",
        metavar="PATH",
        action="append",
        help="build the evaluation index from these pages instead of using --index",
    )
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--failures", action="store_true", help="list the queries missed at rank 1")

    chat = sub.add_parser(
        "chat",
        parents=[where, model],
        help="a conversation in the terminal: follow-up questions, /more, /new, /help",
    )
    chat.add_argument("-k", type=int, default=None, metavar="N", help="number of hits")
    chat.add_argument("--json", action="store_true", help="one JSON object per answer")
    chat.add_argument("--absolute-paths", action="store_true", help=_ABSOLUTE_HELP)

    sub.add_parser(
        "bot",
        parents=[where, model],
        help="run the Telegram bot (token from $TELEGRAM_BOT_TOKEN)",
    )
    return parser


def _setup_logging(args: argparse.Namespace, config: Config) -> None:
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else None
    setup_logging(level=level or config.log_level, verbose=args.verbose)
    # transformers draws a "Loading weights" bar on every model load; ours are enough
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_stdout()
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        config = config.with_section("index", dir=args.index)
        config = _model_flags(args, config)
        _setup_logging(args, config)
        return _dispatch(args, config)
    except NewsqaError as exc:
        if args.verbose:
            setup_logging(level=logging.DEBUG, verbose=True)  # when the config failed
            logger.exception("failed")
        print(f"newsqa: error: {exc}", file=sys.stderr)
        # `newsqa bot` under a service manager: 2 means "do not restart"
        bad_config = isinstance(exc, ConfigError) and args.command == "bot"
        return EXIT_CONFIG if bad_config else EXIT_FAILURE
    except KeyboardInterrupt:
        print("newsqa: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


def _tolerant_stdout() -> None:
    """Never crash on a character stdout cannot encode (a pipe may be ASCII or Latin-1).

    Such a character (or a lone surrogate from an undecodable file name) is written as
    a backslash escape instead; text stdout can encode is written unchanged.
    """
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):  # closed, or not a text wrapper
            reconfigure(errors="backslashreplace")


def _model_flags(args: argparse.Namespace, config: Config) -> Config:
    """``--device``, ``--model-backend`` and ``--quantize`` into ``config.model``."""
    quantize = getattr(args, "quantize", None)
    return config.with_section(
        "model",
        device=getattr(args, "device", None),
        backend=getattr(args, "model_backend", None),
        quantize="" if quantize == "none" else quantize,
    )


def _dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "index":
        if args.index_command == "build":
            return _cmd_build(args, config)
        if args.index_command == "check":
            return _cmd_check(args, config)
        return _cmd_status(args, config)
    if args.command == "corpus":
        return _cmd_inspect(args)
    if args.command == "ask":
        return _cmd_ask(args, config)
    if args.command == "eval":
        return _cmd_eval(args, config)
    if args.command == "chat":
        from ._chat import run_chat

        return run_chat(config, k=args.k, as_json=args.json, absolute=args.absolute_paths)
    from .telegram import run_bot  # python-telegram-bot loads only here

    return run_bot(config)


def _cmd_build(args: argparse.Namespace, config: Config) -> int:
    from newsqa.index import build_index

    if args.corpus:
        config = config.with_section("corpus", paths=tuple(os.path.abspath(p) for p in args.corpus))
    report = build_index(
        config,
        full=args.full,
        compact=args.compact,
        show_progress=sys.stderr.isatty(),
        allow_mass_removal=args.allow_mass_removal,
    )
    if args.json:
        _print_json({k: getattr(report, k) for k in report.__slots__})
        return EXIT_OK
    print(
        f"index {report.generation}: {report.articles} articles, {report.chunks} chunks "
        f"from {report.files} files\n"
        f"  added {report.added}, changed {report.changed}, removed {report.removed}, "
        f"unchanged {report.unchanged} (embedded {report.embedded}) in {report.seconds:.1f}s\n"
        f"  {report.files_read} of {report.files} files read; {report.segments} segment(s)"
        + (f", {report.merged} merged into one" if report.merged else "")
    )
    if report.reason:
        print(f"  full rebuild: {report.reason}")
    for line in _build_notes(report):
        print(f"  {line}")
    return EXIT_OK


def _build_notes(report: BuildReport) -> list[str]:
    """The report's lines about trouble: warnings, skipped and unreadable files, repairs."""
    notes = []
    if report.warnings or report.files_skipped:
        notes.append(
            f"{_plural(len(report.warnings), 'warning')} (see above); "
            f"{_plural(report.files_skipped, 'file')} skipped"
        )
    if report.files_unreadable:
        notes.append(
            f"{_plural(report.files_unreadable, 'file')} unreadable: "
            "kept as indexed by the previous build"
        )
    for line in report.repaired:
        notes.append(f"repaired: {line}")
    return notes


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _cmd_check(args: argparse.Namespace, config: Config) -> int:
    from newsqa.index import IndexInfo, IndexStoreError, check_index, index_status

    damaged = check_index(config)  # no index: the usual one-line error
    info: IndexInfo | None = None
    try:
        info = index_status(config)
    except IndexStoreError as exc:  # CURRENT or the manifest is what is damaged
        damaged = damaged or [str(exc)]
    if args.json:
        where = info.path if info else config.index.dir
        _print_json(
            {"path": where, "generation": info.generation if info else "", "damaged": damaged}
        )
    elif damaged or info is None:
        for line in damaged:
            print(line)
    else:
        print(
            f"index OK: {info.path} (generation {info.generation}; "
            f"{info.articles} articles, {info.chunks} chunks, {info.segments} segment(s))"
        )
    return EXIT_FAILURE if damaged else EXIT_OK


def _cmd_status(args: argparse.Namespace, config: Config) -> int:
    from newsqa.index import index_status

    info = index_status(config)
    if args.json:
        _print_json({k: getattr(info, k) for k in info.__slots__})
        return EXIT_OK
    print(f"index: {info.path} (generation {info.generation}, built {info.built_at})")
    print(f"  {info.articles} articles, {info.chunks} chunks; newest {info.newest_date or '-'}")
    print(f"  model {info.model}; vectors {info.vector_index}")
    print(f"  backend {info.backend}; {info.segments} segment(s)")
    if info.files_unreadable:
        unreadable = _plural(info.files_unreadable, "corpus file")
        print(f"  {unreadable} unreadable at the last build (kept as indexed before)")
    return EXIT_OK


def _cmd_inspect(args: argparse.Namespace) -> int:
    from newsqa.index import inspect_corpus

    corpus = inspect_corpus(args.paths)
    roots = () if args.absolute_paths else tuple(args.paths)
    if args.json:
        _print_json(
            {
                "files": [
                    {
                        "path": _shown_path(f.path, roots),
                        "skipped": f.skipped,
                        "warnings": list(f.warnings),
                        "duplicates_dropped": f.duplicates_dropped,
                        "articles": [
                            {
                                "article_id": a.article_id,
                                "title": a.title,
                                "author": a.author,
                                "date": a.date,
                                "publication": a.origin,
                                "page": a.page,
                                "url": a.url,
                                "paragraphs": len(a.paragraphs),
                                "sections": _sections(a.paragraphs),
                            }
                            for a in f.articles
                        ],
                    }
                    for f in corpus.files
                ]
            }
        )
        return EXIT_OK
    for f in corpus.files:
        state = "SKIPPED" if f.skipped else f"{len(f.articles)} articles"
        print(f"{_shown_path(f.path, roots)}: {state}")
        for warning in f.warnings:
            print(f"  warning: {warning}")
        for n, a in enumerate(f.articles, start=1):
            print(f"  {n}. {a.title}")
            extra = [f"{len(a.paragraphs)} paragraphs"]
            if a.author:
                extra.append(f"author {a.author}")
            if a.origin:
                extra.append(a.origin)
            if a.date:
                extra.append(a.date)
            if a.page:
                extra.append(f"第 {a.page} 版")
            print(f"     {'; '.join(extra)}")
            for section in _sections(a.paragraphs):
                print(f"     § {section}")
        if f.duplicates_dropped:
            print(f"  {f.duplicates_dropped} near-duplicate paragraph(s) dropped")
    return EXIT_OK


def _sections(paragraphs: Sequence[Any]) -> list[str]:
    out: list[str] = []
    for p in paragraphs:
        if p.section and p.section not in out:
            out.append(p.section)
    return out


def _cmd_ask(args: argparse.Namespace, config: Config) -> int:
    from newsqa.retrieval import Retriever

    if args.batch is None and args.question is None:
        print("newsqa: error: give a QUESTION or --batch FILE", file=sys.stderr)
        return EXIT_CONFIG
    questions = _read_batch(args.batch) if args.batch is not None else [args.question]
    roots = () if args.absolute_paths else config.corpus.paths
    retriever = Retriever.open(config)
    for question in questions:
        # a bad question (empty, undecodable bytes) is answered with a notice, so
        # output line N always answers input line N
        answer = _relative_sources(retriever.ask(question, k=args.k), roots)
        if args.json:
            _print_json(answer.to_json(), indent=None if args.batch else 2)
        else:
            _print_answer(answer, sys.stdout)
    return EXIT_OK


def _read_batch(path: str) -> list[str]:
    """The lines of ``path`` (UTF-8; ``-``: stdin), blank ones included.

    Bytes that are not valid UTF-8 become lone surrogates (``surrogateescape``), as in
    a question on the command line: the retriever replaces them and says so.
    """
    try:
        if path == "-":
            text = _read_stdin()
        else:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", errors="surrogateescape")
    except OSError as exc:
        raise NewsqaError(f"cannot read questions from {path}: {exc}") from exc
    text = text.removeprefix("\ufeff")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and not lines[-1]:
        lines.pop()  # the newline ending the last line does not start another
    return lines


def _read_stdin() -> str:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # replaced by a text-only stream (tests, embedding)
        return sys.stdin.read()
    raw: bytes = buffer.read()
    return raw.decode(sys.stdin.encoding or "utf-8", errors="surrogateescape")


def _shown_path(path: str, roots: Sequence[str]) -> str:
    """``path`` relative to the innermost of ``roots`` holding it (a root file: its name).

    Unchanged when no root holds it, or when ``roots`` is empty (``--absolute-paths``).
    """
    best = ""
    shown = path
    for base in {p for root in roots for p in (os.path.abspath(root), os.path.realpath(root))}:
        if path == base:
            base = os.path.dirname(base)  # the root is this very file
        elif not path.startswith(base.rstrip(os.sep) + os.sep):
            continue
        if len(base) > len(best):
            best, shown = base, os.path.relpath(path, base)
    return shown


def _relative_sources(answer: Answer, roots: Sequence[str]) -> Answer:
    """``answer`` with each hit's ``source`` shown relative to its corpus root."""
    if not roots or not answer.hits:
        return answer
    hits = tuple(dc_replace(h, source=_shown_path(h.source, roots)) for h in answer.hits)
    return dc_replace(answer, hits=hits)


def _print_answer(answer: Answer, out: TextIO) -> None:
    tty = out.isatty()
    out.write(f"问：{answer.question.strip()[:200]}\n")
    searched = answer.searched.strip()
    if searched and searched != answer.question.strip():
        out.write(f"（接着上文，按「{searched[:200]}」检索）\n")
    if answer.notice:
        out.write(f"（{answer.notice}）\n")
    if not answer.hits:
        out.write("没有找到相关内容。\n\n")
        return
    if not answer.confident:
        out.write("没有找到可靠的答案；以下是最接近的段落，未必相关：\n")
    best = answer.hits[0].article_id
    for hit in answer.hits:
        other = "（另一篇文章）" if hit.article_id != best else ""
        out.write(f"\n{hit.rank}. 《{hit.title}》{other}\n")
        if hit.section:
            out.write(f"   § {hit.section}\n")
        out.write(f"   「{_marked(hit, tty)}」\n")
        citation = hit.citation()
        if citation:
            out.write(f"   来源：{citation}" + (f" {hit.url}" if hit.url else "") + "\n")
        where = " · ".join(p for p in (hit.date, hit.source) if p)
        out.write(f"   score {hit.score:.3f} · {where}\n")
    out.write("\n")


def _marked(hit: Hit, tty: bool) -> str:
    """The paragraph with the answer phrase (else the best sentence) in bold on a
    terminal, between 【】 elsewhere."""
    span = hit.answer_span if hit.answer else None
    start, end = span or hit.highlight_span
    if not 0 <= start < end <= len(hit.text):
        return hit.text
    best = hit.text[start:end]
    mark = f"{_BOLD}{best}{_RESET}" if tty else f"【{best}】"
    return hit.text[:start] + mark + hit.text[end:]


def _cmd_eval(args: argparse.Namespace, config: Config) -> int:
    from newsqa.retrieval import evaluate

    sources = [*(args.corpus or []), *([args.passages] if args.passages else [])]
    report = evaluate(
        config, args.queries, corpus=sources or None, show_progress=sys.stderr.isatty()
    )
    if args.json:
        data = report.to_json()
        if not args.failures:
            data.pop("failures")
        _print_json(data)
        return EXIT_OK
    print(f"{report.style}-style evaluation, {report.queries} queries")
    for name, value in report.metrics.items():
        shown = f"{value:.0f}" if name in {"in_corpus", "out_of_corpus"} else f"{value:.4f}"
        print(f"  {name:<24} {shown}")
    print(
        f"  {'latency p50 / p95 (ms)':<24} {report.latency_ms_p50:.1f} / "
        f"{report.latency_ms_p95:.1f}"
    )
    if args.failures:
        for failure in report.failures:
            print(f"  miss: {failure}")
    return EXIT_OK


def _print_json(data: Any, indent: int | None = 2) -> None:
    # \u escapes where stdout is not UTF-8 (valid JSON, where a backslash-replaced
    # astral character would not be)
    utf = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("_", "-")
    ascii_only = not utf.startswith("utf")
    sys.stdout.write(json.dumps(data, ensure_ascii=ascii_only, indent=indent) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
