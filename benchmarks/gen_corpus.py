"""Benchmark data: a synthetic Chinese news archive, or synthetic embedding vectors.

Not a test, and not part of newsqa: it writes data for ``bench_vectors.py`` and
``bench_bm25.py``. Keep the output outside the repository::

    .venv/bin/python -m benchmarks.gen_corpus --chunks 10000 --out /tmp/nb/c10k.jsonl \\
        --questions /tmp/nb/c10k.questions.jsonl
    .venv/bin/python -m benchmarks.gen_corpus --chunks 100000 --out /tmp/nb/c100k.jsonl \\
        --questions /tmp/nb/c100k.questions.jsonl
    .venv/bin/python -m benchmarks.gen_corpus --chunks 1000000 --out /tmp/nb/c1m.jsonl \
        --questions /tmp/nb/c1m.questions.jsonl                      # 25 s, 319 MiB
    .venv/bin/python -m benchmarks.gen_corpus --chunks 2000000 --out /tmp/nb/c2m.jsonl

    .venv/bin/python -m benchmarks.gen_corpus --vectors-only --chunks 2000000 \\
        --out /tmp/nb/v2m.npy [--queries 500] [--dim 384]

**Text mode** writes ``--chunks`` paragraphs as JSONL articles, one per line:
``{"id", "title", "text", "date"}`` with the paragraphs of ``text`` separated by
``"\\n"``. Every paragraph is at most 290 characters, so newsqa's chunker (300 by
default) makes exactly one chunk of each. The text is built from the bundled sample
articles (``index/sample_corpus/``) only:

- their sentences, segmented by ``jieba.posseg``, train an order-2 word Markov chain
  (backing off to order 1 where a context has one continuation); a pool of generated
  sentences with balanced quotes becomes the sentence *templates*;
- in each template, names (``nr``), places (``ns``), organisations (``nt``) and numbers
  are always slots, and a quarter of ordinary nouns and verbs too; a slot is
  filled at every use with a word of the same part of speech drawn by frequency from
  jieba's own dictionary (so the vocabulary has a realistic long Zipf tail, unlike the
  ~1,500 words of the sample), numbers with fresh digits (months 1-12, days 1-28,
  years 2015-2024);
- each article has a few names, places and organisations of its own that its slots
  reuse half of the time (terms repeat within an article, as in real news);
- titles are invented from place + organisation/brand + action patterns learnt from
  the sample headlines; dates are spread uniformly over 2015-01-01..2024-12-31 and
  articles come in date order; 2-10 paragraphs per article.

``--questions FILE`` also writes ``--n-questions`` questions ``{"question",
"article_id", "paragraph"}``: a sentence of a random paragraph with one named slot
replaced by 谁/哪里/多少 and a question mark, for BM25 latency and a recall sanity check.

**Vectors mode** (``--vectors-only``) writes an ``(N, dim)`` float32 ``.npy`` of unit
vectors shaped like sentence embeddings rather than uniform noise: a shared mean
direction (embedding models are anisotropic), 200 Zipf-sized topics of 40 sub-topics,
articles of 2-10 consecutive chunks sharing an article centre; each chunk adds a
variation along ``--local-rank`` directions of its own sub-topic (``--w-local``: text
embeddings lie near low-dimensional pieces) and full-dimensional noise with a
power-law spectrum (``--w-chunk``, exponent ``--w-decay``), all in a random orthonormal
basis. ``OUT.queries.npy`` holds ``--queries`` query vectors: each is the centre of a
random stored chunk's article plus its own variation, question/passage mismatch noise
(``--w-query``) and a small pull towards that chunk (``--w-source``);
``OUT.queries_src.npy`` holds the chunk's row. The default weights were fitted to real
multilingual-e5-small embeddings of 2,000 generated chunks and 200 generated questions
(``embed_sample.py``; compare with ``bench_vectors.py --stats``), at N = 2,000:

    median over samples                   real e5   default   isotropic
    cosine of a random pair                 0.890     0.886       0.883
    cosine to the nearest neighbour         0.938     0.945       0.939
    cosine to the 10th neighbour            0.919     0.921       0.919
    cosine question -> its source chunk     0.896     0.892       0.892
    cosine question -> its top hit          0.903     0.903       0.899
    effective dimension (participation)     142       158         142
    local intrinsic dimension (LID, k=20)   25        19          20

``isotropic`` is ``--w-local 0 --w-chunk 0.62 --w-article 0.15``: all chunk variation is
full-dimensional noise. The two agree at 2,000 vectors but not at scale: the LID of
the isotropic set grows with N (40 at 100k, 57 at 1M), so its neighbourhoods become
much harder for graph and IVF indexes than text embeddings usually are (LID ~20-30),
while the default stays near 25 (at 100k). Use it as a pessimistic bound. The fit is
one point either way: a real archive spans more subjects than text generated from five
sample pages, and near-duplicate reports make real nearest neighbours closer.

Pure Python plus numpy, written as generated: 1M chunks of text take ~25 s (~4 s of
set-up), 2M vectors ~45 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "index" / "sample_corpus"

MAX_PARAGRAPH = 290
_END = "。！？"
_SENTENCE = re.compile(r"[^。！？]*[。！？]+[”’]?")
_DIGITS = re.compile(r"\d+")

# slot classes: always replaced (entities, numbers) or sometimes (open-class words)
PER, LOC, ORG, NZ, NOUN, VERB, VNOUN = "PER", "LOC", "ORG", "NZ", "N", "V", "VN"
NUM, YEAR, MONTH, DAY = "NUM", "YEAR", "MONTH", "DAY"
_ENTITY_TAGS = {"nr": PER, "nrt": PER, "nrfg": PER, "ns": LOC, "nt": ORG, "nz": NZ}
_OPEN_TAGS = {"n": NOUN, "v": VERB, "vn": VNOUN}
_DICT_TAGS = {
    PER: ("nr", "nrfg"),
    LOC: ("ns",),
    ORG: ("nt",),
    NZ: ("nz",),
    NOUN: ("n",),
    VERB: ("v",),
    VNOUN: ("vn",),
}
_LOCAL = (PER, LOC, ORG)
_QUESTION_WORD = {PER: "谁", LOC: "哪里", ORG: "哪个单位", NUM: "多少"}
_ORG_SUFFIXES = (
    "妇联",
    "妇女联合会",
    "人社局",
    "总工会",
    "文旅局",
    "科技局",
    "农业农村局",
    "民政局",
    "教育局",
    "卫健委",
    "团委",
    "合作社",
    "工坊",
    "驿站",
    "服务中心",
    "研究院",
)


# -- the sample corpus --------------------------------------------------------------


def _sample_texts() -> tuple[list[str], list[str]]:
    """``(titles, paragraphs)`` of the bundled sample articles."""
    titles: list[str] = []
    paragraphs: list[str] = []
    for path in sorted(SAMPLE.iterdir()):
        raw = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".jsonl":
            for line in raw.splitlines():
                if line.strip():
                    rec = json.loads(line)
                    titles.append(rec["title"])
                    paragraphs.extend(p for p in rec["text"].split("\n") if p.strip())
            continue
        for line in raw.splitlines():
            line = line.strip().lstrip("#").strip()
            if not line or line.startswith("□") or "记者" in line[:12]:
                continue
            if line[-1] in _END + "”" and len(line) > 30:
                paragraphs.append(line)
            elif 6 <= len(line) <= 30 and not any(c in line for c in "，,。"):
                titles.append(line)
    return titles, paragraphs


def _slot(word: str, flag: str, nxt: str) -> str | None:
    """The slot class of a sample word given the next word, or None for a fixed word."""
    if _DIGITS.search(word) and flag == "m":
        if nxt.startswith("月"):
            return MONTH
        if nxt.startswith("日"):
            return DAY
        if re.fullmatch(r"(19|20)\d\d", word):
            return YEAR
        return NUM
    if len(word) >= 2 and flag in _ENTITY_TAGS:
        return _ENTITY_TAGS[flag]
    return _OPEN_TAGS.get(flag) if len(word) >= 2 else None


Token = tuple[str, str | None]  # (surface word, slot class or None)


def _tokenise(text: str) -> list[Token]:
    import jieba.posseg as pseg

    pairs = [(w.word, w.flag) for w in pseg.cut(text)]
    out: list[Token] = []
    for i, (word, flag) in enumerate(pairs):
        nxt = pairs[i + 1][0] if i + 1 < len(pairs) else ""
        out.append((word, _slot(word, flag, nxt)))
    return out


# -- word samplers --------------------------------------------------------------------


class Sampler:
    """Draws words by weight from a fixed list, in buffered batches (fast)."""

    def __init__(self, rng: random.Random, words: list[str], weights: list[float]) -> None:
        self._rng = rng
        self._words = words
        self._cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self._cum.append(total)
        self._buf: list[str] = []

    def __len__(self) -> int:
        return len(self._words)

    def __call__(self) -> str:
        if not self._buf:
            self._buf = self._rng.choices(self._words, cum_weights=self._cum, k=8192)
        return self._buf.pop()


def _dictionary_samplers(rng: random.Random, sample_words: dict[str, list[str]]) -> dict:
    """Per slot class, a sampler over jieba's dictionary (frequency-weighted) and the sample."""
    import jieba

    path = Path(jieba.__file__).resolve().parent / "dict.txt"
    by_tag: dict[str, tuple[list[str], list[float]]] = defaultdict(lambda: ([], []))
    wanted = {t for tags in _DICT_TAGS.values() for t in tags}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) != 3 or parts[2] not in wanted:
                continue
            word, freq, tag = parts
            if not 2 <= len(word) <= 6 or not re.fullmatch(r"[\u4e00-\u9fff]+", word):
                continue
            words, weights = by_tag[tag]
            words.append(word)
            weights.append(float(freq) ** 0.8)
    samplers = {}
    for cls, tags in _DICT_TAGS.items():
        words, weights = [], []
        for tag in tags:
            words.extend(by_tag[tag][0])
            weights.extend(by_tag[tag][1])
        # the sample's own words of the class are favoured: the archive stays on topic
        boost = (sum(weights) / max(len(weights), 1)) * 200
        for w in sample_words.get(cls, []):
            words.append(w)
            weights.append(boost)
        samplers[cls] = Sampler(rng, words, weights)
    return samplers


# -- the Markov chain ---------------------------------------------------------------


class Chain:
    """Order-2 word Markov chain with back-off to order 1 where a context is unique."""

    def __init__(self, sentences: list[list[Token]]) -> None:
        self.two: dict[tuple[Token, Token], list[Token]] = defaultdict(list)
        self.one: dict[Token, list[Token]] = defaultdict(list)
        self.starts: list[Token] = []
        for sent in sentences:
            seq = [("<s>", None), *sent, ("</s>", None)]
            self.starts.append(sent[0])
            for i in range(1, len(seq)):
                self.one[seq[i - 1]].append(seq[i])
                if i >= 2:
                    self.two[(seq[i - 2], seq[i - 1])].append(seq[i])

    def sentence(self, rng: random.Random, max_tokens: int = 70) -> list[Token] | None:
        prev: Token = ("<s>", None)
        cur = rng.choice(self.starts)
        out = [cur]
        while len(out) < max_tokens:
            options = self.two.get((prev, cur), [])
            if len(set(options)) < 2 or rng.random() < 0.25:
                options = self.one.get(cur, options)
            if not options:
                return None
            nxt = rng.choice(options)
            if nxt[0] == "</s>":
                return out
            out.append(nxt)
            prev, cur = cur, nxt
        return None


class Template:
    """A sentence with slots: fixed text pieces between slot classes."""

    __slots__ = ("fixed", "slots", "text")

    def __init__(self, tokens: list[Token], rng: random.Random, open_share: float) -> None:
        fixed: list[str] = [""]
        slots: list[str] = []
        for word, cls in tokens:
            if cls is not None and (cls not in _OPEN_TAGS.values() or rng.random() < open_share):
                slots.append(cls)
                fixed.append("")
            else:
                fixed[-1] += word
        self.fixed = fixed
        self.slots = slots
        self.text = "".join(w for w, _ in tokens)


def _balanced(text: str) -> bool:
    return (
        text.count("“") == text.count("”")
        and text.count("(") == text.count(")")
        and text.count("（") == text.count("）")
        and text.count("《") == text.count("》")
    )


def _templates(rng: random.Random, chain: Chain, count: int, open_share: float) -> list[Template]:
    seen: set[str] = set()
    out: list[Template] = []
    tries = 0
    while len(out) < count and tries < count * 20:
        tries += 1
        tokens = chain.sentence(rng)
        if tokens is None:
            continue
        text = "".join(w for w, _ in tokens)
        if text in seen or not 12 <= len(text) <= 140 or not _balanced(text):
            continue
        if text[-1] not in _END and not text.endswith(("”", "’")):
            continue
        seen.add(text)
        out.append(Template(tokens, rng, open_share))
    return out


# -- the generator ------------------------------------------------------------------


class Generator:
    def __init__(self, seed: int, n_templates: int = 40_000, open_share: float = 0.25) -> None:
        self.rng = random.Random(seed)
        titles, paragraphs = _sample_texts()
        body: list[list[Token]] = []
        sample_words: dict[str, list[str]] = defaultdict(list)
        for para in paragraphs:
            for sent in _SENTENCE.findall(para):
                toks = _tokenise(sent.strip())
                if len(toks) >= 3:
                    body.append(toks)
                for word, cls in toks:
                    if cls in _DICT_TAGS:
                        sample_words[cls].append(word)
        self.samplers = _dictionary_samplers(self.rng, sample_words)
        self.templates = _templates(self.rng, Chain(body), n_templates, open_share)
        # title pieces learnt from the sample headlines
        self.actions: list[str] = []
        self.brands: list[str] = []
        for title in titles:
            self.brands.extend(re.findall(r"“([^”]{2,8})”", title))
            toks = _tokenise(title)
            tail = "".join(w for w, c in toks[-2:] if c not in (PER, LOC, ORG))
            if 2 <= len(tail) <= 8:
                self.actions.append(tail)
        self.actions += ["启动", "举办", "投用", "成立", "开班", "揭牌", "见成效", "助力振兴"]
        self.brands += ["巾帼建功", "姐妹驿站", "巾帼家政", "乡村振兴", "妈妈课堂"]
        self._local: dict[str, list[str]] = {}
        self._start = date(2015, 1, 1)
        self._days = (date(2024, 12, 31) - self._start).days

    # slots --------------------------------------------------------------------------

    def fill(self, cls: str) -> str:
        rng = self.rng
        if cls == MONTH:
            return str(rng.randint(1, 12))
        if cls == DAY:
            return str(rng.randint(1, 28))
        if cls == YEAR:
            return str(rng.randint(2015, 2024))
        if cls == NUM:
            r = rng.random()
            if r < 0.5:
                return str(rng.randint(2, 99))
            if r < 0.85:
                return str(rng.randint(100, 9999))
            return f"{rng.randint(1, 99)}.{rng.randint(1, 9)}"
        local = self._local.get(cls)
        if local is not None and rng.random() < 0.5:
            return rng.choice(local)
        return self.samplers[cls]()

    def realise(self, tpl: Template, filled: list[tuple[str, str]] | None = None) -> str:
        parts = [tpl.fixed[0]]
        for cls, piece in zip(tpl.slots, tpl.fixed[1:], strict=True):
            word = self.fill(cls)
            if filled is not None:
                filled.append((cls, word))
            parts.append(word)
            parts.append(piece)
        return "".join(parts)

    # articles -----------------------------------------------------------------------

    def title(self) -> str:
        rng = self.rng
        place = self._local[LOC][0]
        r = rng.random()
        if r < 0.4:
            return f"{place}“{rng.choice(self.brands)}”{self.fill(NOUN)}{rng.choice(self.actions)}"
        if r < 0.75:
            org = place + rng.choice(_ORG_SUFFIXES)
            return f"{org}{self.fill(VERB)}{self.fill(NOUN)}{rng.choice(self.actions)}"
        person = self._local[PER][0]
        return f"{place}{self.fill(NOUN)}{person}：{self.fill(VERB)}{self.fill(NOUN)}"

    def paragraph(self, filled: list[tuple[str, str]] | None = None) -> str:
        rng = self.rng
        want = rng.choice((1, 2, 2, 3, 3, 4))
        text = ""
        for _ in range(want * 2):
            sent = self.realise(rng.choice(self.templates), filled)
            if len(text) + len(sent) > MAX_PARAGRAPH:
                if text:
                    break
                continue
            text += sent
            if len(text) >= 60 and want <= 1:
                break
            want -= 1
        return text or self.realise(self.templates[0])[:MAX_PARAGRAPH]

    def articles(self, chunks: int) -> Iterator[dict[str, str]]:
        """Articles with ``chunks`` paragraphs in all, in date order."""
        rng = self.rng
        sizes: list[int] = []
        left = chunks
        while left > 0:
            size = min(left, rng.randint(2, 10))
            sizes.append(size)
            left -= size
        days = sorted(rng.randrange(self._days + 1) for _ in sizes)
        for number, (size, day) in enumerate(zip(sizes, days, strict=True)):
            self._local = {cls: [self.samplers[cls]() for _ in range(3)] for cls in _LOCAL}
            when = self._start + timedelta(days=day)
            paragraphs = [self.paragraph() for _ in range(size)]
            yield {
                "id": f"bench-{number:08d}",
                "title": self.title(),
                "text": "\n".join(paragraphs),
                "date": when.isoformat(),
            }


def _question(gen: Generator, article: dict[str, str]) -> dict[str, object] | None:
    """A question answered by one paragraph of ``article``: a clause with a slot asked for."""
    rng = gen.rng
    paragraphs = article["text"].split("\n")
    index = rng.randrange(len(paragraphs))
    sentences = _SENTENCE.findall(paragraphs[index])
    rng.shuffle(sentences)
    for sent in sentences:
        clauses = [c for c in re.split(r"[，,；;：:]", sent.rstrip("。！？”’")) if c]
        for i, clause in enumerate(clauses):
            found = [(cls, w) for cls in _LOCAL for w in gen._local.get(cls, []) if w in clause]
            found += [(NUM, w) for w in re.findall(r"\d+(?:\.\d+)?", clause)]
            if not found:
                continue
            cls, target = rng.choice(found)
            text = clause if len(clause) >= 10 or i == 0 else clauses[i - 1] + "，" + clause
            question = text.replace(target, _QUESTION_WORD[cls], 1).strip("“”‘’ ")
            if len(question) >= 6:
                return {
                    "question": question + "？",
                    "article_id": article["id"],
                    "paragraph": index,
                }
    return None


# -- vectors ------------------------------------------------------------------------


def write_vectors(
    out: Path,
    n: int,
    dim: int,
    n_queries: int,
    seed: int,
    weights: dict[str, float],
    block: int = 100_000,
) -> None:
    """``n`` synthetic unit vectors to ``out`` and ``n_queries`` queries beside it."""
    rng = np.random.default_rng(seed)
    topics, subs = 200, 40
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    basis = basis.astype(np.float32)
    # power-law spectrum: a few strong directions, a long weak tail (low intrinsic dim)
    spectrum = (np.arange(1, dim + 1, dtype=np.float32) ** -weights["decay"]).astype(np.float32)
    spectrum *= np.sqrt(dim / float((spectrum**2).sum()))

    def noise(rows: int) -> np.ndarray:
        z = rng.standard_normal((rows, dim), dtype=np.float32) * spectrum
        return z / np.sqrt(dim)

    mean = np.zeros(dim, dtype=np.float32)
    mean[0] = 1.0  # the shared direction (anisotropy), first axis before rotation
    topic_c = noise(topics) * weights["topic"]
    sub_c = np.repeat(topic_c, subs, axis=0) + noise(topics * subs) * weights["sub"]
    # each sub-topic's chunks also vary along a few directions of their own: text
    # embeddings lie near low-dimensional pieces, not in a full-dimensional cloud
    rank = int(weights["rank"])
    bases = rng.standard_normal((topics * subs, max(rank, 1), dim), dtype=np.float32)
    bases /= np.sqrt(dim)

    def local(which: np.ndarray) -> np.ndarray:
        out = np.zeros((len(which), dim), dtype=np.float32)
        if rank == 0 or weights["local"] == 0:
            return out
        coeff = rng.standard_normal((len(which), rank), dtype=np.float32) / np.sqrt(rank)
        order = np.argsort(which, kind="stable")
        keys, starts = np.unique(which[order], return_index=True)
        ends = [*starts[1:].tolist(), len(order)]
        for key, lo, hi in zip(keys.tolist(), starts.tolist(), ends, strict=True):
            rows = order[lo:hi]
            out[rows] = coeff[rows] @ bases[key]
        return out * weights["local"]

    # Zipf-sized topics: topic k gets weight 1/(k+1)^0.8, sub-topics uniform within
    topic_p = 1.0 / np.arange(1, topics + 1) ** 0.8
    topic_p /= topic_p.sum()

    src = np.sort(rng.choice(n, size=min(n_queries, n), replace=False))
    queries = np.empty((len(src), dim), dtype=np.float32)
    arr = np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=(n, dim))
    done = 0
    while done < n:
        rows = min(block, n - done)
        # articles of 2-10 consecutive chunks sharing a centre
        sizes = rng.integers(2, 11, size=rows // 2 + 1)
        owner = np.repeat(np.arange(len(sizes)), sizes)[:rows]
        n_art = int(owner[-1]) + 1
        art_sub = rng.choice(topics, size=n_art, p=topic_p) * subs + rng.integers(
            0, subs, size=n_art
        )
        art_c = weights["mean"] * mean + sub_c[art_sub] + noise(n_art) * weights["article"]
        x = art_c[owner] + local(art_sub[owner]) + noise(rows) * weights["chunk"]
        x = x @ basis
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        arr[done : done + rows] = x
        # a query is about its source's article: the article centre, its own wording
        # (chunk-sized noise) and the question/passage mismatch (query noise)
        mine = np.flatnonzero((src >= done) & (src < done + rows))
        q_art = owner[src[mine] - done]
        q = art_c[q_art] + local(art_sub[q_art]) + noise(len(mine)) * weights["chunk"]
        q += noise(len(mine)) * weights["query"]
        q = (q @ basis) + x[src[mine] - done] * weights["source"]
        queries[mine] = q / np.linalg.norm(q, axis=1, keepdims=True)
        done += rows
        print(f"  vectors {done}/{n}", file=sys.stderr, end="\r")
    arr.flush()
    print(file=sys.stderr)

    stem = str(out)[: -len(".npy")] if str(out).endswith(".npy") else str(out)
    np.save(stem + ".queries.npy", queries)
    np.save(stem + ".queries_src.npy", src.astype(np.int64))
    del arr


# -- main ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, required=True, help="paragraphs (or vectors)")
    parser.add_argument("--out", required=True, help="JSONL (text) or .npy (vectors) file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--questions", help="text mode: also write questions to this JSONL")
    parser.add_argument("--n-questions", type=int, default=200)
    parser.add_argument("--templates", type=int, default=40_000, help="sentence templates")
    parser.add_argument("--vectors-only", action="store_true")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=500, help="vectors mode: query count")
    parser.add_argument("--w-mean", type=float, default=2.2)
    parser.add_argument("--w-topic", type=float, default=0.4)
    parser.add_argument("--w-sub", type=float, default=0.3)
    parser.add_argument("--w-article", type=float, default=0.1)
    parser.add_argument("--w-chunk", type=float, default=0.35)
    parser.add_argument("--w-query", type=float, default=0.85)
    parser.add_argument("--w-source", type=float, default=0.2, help="query pull to its source")
    parser.add_argument("--w-local", type=float, default=0.5, help="sub-topic local variation")
    parser.add_argument("--local-rank", type=int, default=32, help="its dimension (0: none)")
    parser.add_argument("--w-decay", type=float, default=0.25, help="noise spectrum exponent")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    if args.vectors_only:
        weights = {
            "mean": args.w_mean,
            "topic": args.w_topic,
            "sub": args.w_sub,
            "article": args.w_article,
            "chunk": args.w_chunk,
            "query": args.w_query,
            "decay": args.w_decay,
            "source": args.w_source,
            "local": args.w_local,
            "rank": args.local_rank,
        }
        write_vectors(out, args.chunks, args.dim, args.queries, args.seed, weights)
        size = os.path.getsize(out)
        print(
            f"{args.chunks} vectors x {args.dim} -> {out} ({size / 2**20:.0f} MiB), "
            f"{args.queries} queries, {time.perf_counter() - started:.1f} s"
        )
        return 0

    import jieba

    jieba.setLogLevel(60)
    gen = Generator(args.seed, n_templates=args.templates)
    setup = time.perf_counter() - started
    q_every = max(1, args.chunks // 6 // max(args.n_questions, 1))
    questions: list[dict[str, object]] = []
    n_articles = n_chars = 0
    with out.open("w", encoding="utf-8") as fh:
        for article in gen.articles(args.chunks):
            fh.write(json.dumps(article, ensure_ascii=False) + "\n")
            n_articles += 1
            n_chars += len(article["text"])
            if args.questions and len(questions) < args.n_questions and n_articles % q_every == 0:
                q = _question(gen, article)
                if q is not None:
                    questions.append(q)
            if n_articles % 20_000 == 0:
                print(f"  {n_articles} articles", file=sys.stderr, end="\r")
    if args.questions:
        with Path(args.questions).open("w", encoding="utf-8") as fh:
            for q in questions:
                fh.write(json.dumps(q, ensure_ascii=False) + "\n")
    total = time.perf_counter() - started
    print(
        f"{args.chunks} chunks in {n_articles} articles, {n_chars / args.chunks:.0f} chars/chunk,"
        f" {len(gen.templates)} templates -> {out} ({os.path.getsize(out) / 2**20:.0f} MiB)"
        f"; setup {setup:.1f} s, total {total:.1f} s"
        + (f"; {len(questions)} questions -> {args.questions}" if args.questions else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
