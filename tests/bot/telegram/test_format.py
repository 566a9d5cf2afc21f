"""HTML rendering, escaping and splitting of replies."""

from __future__ import annotations

from typing import Any

import pytest

from newsqa.bot.telegram._format import (
    TELEGRAM_LIMIT,
    escape,
    intro_html,
    pack,
    render_hit,
    render_page,
)
from newsqa.retrieval import Hit
from tests.bot.telegram.bot_fakes import FakeInfo
from tests.bot.telegram.html_check import tg_len, visible_text


def make_hit(
    text: str,
    span: tuple[int, int] | None = None,
    *,
    title: str = "标题",
    section: str = "要闻",
    date: str = "2024-03-22",
    source: str = "/srv/corpus/2024-03-22_page01.txt",
    **extra: Any,
) -> Hit:
    start, end = span if span is not None else (0, len(text))
    extra.setdefault("article_id", "a")
    return Hit(
        rank=1,
        score=1.0,
        title=title,
        section=section,
        text=text,
        highlight=text[start:end],
        highlight_span=(start, end),
        source=source,
        chunk_id="a-0",
        date=date,
        **extra,
    )


def test_hit_layout_title_quote_highlight_source() -> None:
    text = "第一句。第二句最相关。第三句。"
    html = render_hit(make_hit(text, (4, 11)))
    assert html.startswith(
        "<b>标题</b>\n<blockquote>第一句。<b>第二句最相关。</b>第三句。</blockquote>\n"
    )
    assert html.endswith("</blockquote>\n<i>来源：2024-03-22 · 要闻</i>")
    assert "/srv/corpus" not in html  # no server paths
    assert visible_text(html)


def test_source_line_is_the_citation() -> None:
    hit = make_hit("一句话。", publication="中国妇女报", page="5", section="")
    assert render_hit(hit).endswith("<i>来源：中国妇女报 · 2024-03-22 · 第 5 版</i>")
    bare = make_hit("一句话。", date="", section="")  # nothing known: the file's name
    assert render_hit(bare).endswith("<i>来源：2024-03-22_page01.txt</i>")


def test_citation_is_a_link_when_the_hit_has_a_url() -> None:
    hit = make_hit("一句话。", publication="A&B 日报", url='https://news.example/a?x=1&y="2"')
    html = render_hit(hit)
    assert (
        '<a href="https://news.example/a?x=1&amp;y=&quot;2&quot;">A&amp;B 日报 · 2024-03-22</a>'
        in html
    )
    assert "来源：A&B 日报 · 2024-03-22 · 要闻" in visible_text(html)
    for bad in ("javascript:alert(1)", "ftp://x", "https://a b"):
        assert "<a " not in render_hit(make_hit("一句话。", url=bad))


def test_only_the_answer_phrase_is_marked_when_there_is_one() -> None:
    text = "第一句。大桥全长四千二百米，设双向六车道。第三句。"
    start = text.index("四千二百米")
    hit = make_hit(text, (4, text.index("第三句")), answer_span=(start, start + 5))
    html = render_hit(hit)
    assert "大桥全长<b><u>四千二百米</u></b>，设双向六车道。" in html
    assert html.count("<b>") == 2  # the title and the answer, not the sentence
    visible_text(html)
    broken = make_hit(text, (4, 10), answer_span=(40, 90))  # out of range: the sentence
    assert "<b>大桥全长四千</b>" in render_hit(broken)


def test_answer_phrase_is_escaped_and_kept_when_the_paragraph_is_cut() -> None:
    text = "前文" * 3000 + "价格是<5&元>。" + "后文" * 2000
    start = text.index("<5&元>")
    hit = make_hit(text, (start - 3, start + 6), answer_span=(start, start + 5))
    html = render_hit(hit)
    assert tg_len(html) <= TELEGRAM_LIMIT
    assert "<b><u>&lt;5&amp;元&gt;</u></b>" in html
    visible_text(html)


def test_hits_from_another_article_say_so() -> None:
    best = make_hit("一句话。", title="甲")
    same = make_hit("二句话。", title="乙")
    other = make_hit("三句话。", title="丙", article_id="b")
    messages = render_page([best, same, other], first=0, total=3)
    joined = "\n\n".join(messages)
    assert "<b>甲</b>\n" in joined and "<b>乙</b>\n" in joined
    assert "<b>丙</b> <i>（另一篇文章）</i>\n" in joined
    later = render_page([other], first=1, total=3, best_article="a")
    assert "（另一篇文章）" in later[0] and "第 2/3 条" in later[0]
    assert "（另一篇文章）" not in render_page([best], first=1, total=3, best_article="a")[0]


def test_hits_beyond_the_prefetched_ones_have_no_total() -> None:
    html = render_hit(make_hit("一句话。"), position=6, total=5)
    assert "（第 6 条）" in html and "/5" not in html


def test_special_characters_are_escaped_and_shown_literally() -> None:
    text = "评测把 <b>粗体</b> 标签和 A&B 公司放在一起 > 测试。"
    hit = make_hit(text, (0, len(text)), title="C&C++ <新>")
    html = render_hit(hit)
    assert "&lt;b&gt;粗体&lt;/b&gt;" in html and "A&amp;B" in html and "&gt; 测试" in html
    assert "<b>C&amp;C++ &lt;新&gt;</b>" in html
    shown = visible_text(html)
    assert "<b>粗体</b>" in shown and "A&B" in shown and "C&C++ <新>" in shown


def test_escape_leaves_quotes_alone() -> None:
    assert escape("\"a\" & 'b' <c>") == "\"a\" &amp; 'b' &lt;c&gt;"


def test_counter_only_when_several_hits() -> None:
    assert "第 2/3 条" in render_hit(make_hit("一句话。"), position=2, total=3)
    assert "条）" not in render_hit(make_hit("一句话。"), position=1, total=1)


def test_missing_metadata_and_bad_span_still_render() -> None:
    hit = make_hit("没有元数据的段落。", (50, 60), title=" ", section="", date="", source="")
    html = render_hit(hit)
    assert "（无标题）" in html and "来源：未注明" in html
    assert "<blockquote>没有元数据的段落。</blockquote>" in html


def test_overlong_paragraph_is_truncated_balanced_and_keeps_highlight() -> None:
    text = "前文" * 3000 + "关键的一句话在这里。" + "后文&" * 2000
    start = text.index("关键")
    hit = make_hit(text, (start, start + len("关键的一句话在这里。")))
    html = render_hit(hit)
    assert tg_len(html) <= TELEGRAM_LIMIT
    shown = visible_text(html)  # balanced, escaped
    assert "<b>关键的一句话在这里。</b>" in html
    assert shown.count("…") >= 2  # cut before and after


def test_overlong_paragraph_cut_at_end_when_highlight_is_early() -> None:
    text = "开头的重点。" + "&" * 9000
    html = render_hit(make_hit(text, (0, 6)))
    assert tg_len(html) <= TELEGRAM_LIMIT
    assert "<b>开头的重点。</b>" in html and "…</blockquote>" in html
    assert "&amp;" in html and visible_text(html)


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert tg_len("😀") == 2
    text = "😀" * 5000
    html = render_hit(make_hit(text, (0, 2)))
    assert tg_len(html) <= TELEGRAM_LIMIT
    visible_text(html)


def test_page_splits_between_hits_never_inside() -> None:
    hits = [make_hit(f"第{i}段。" + "内容" * 900, title=f"文章{i}") for i in range(5)]
    messages = render_page(hits, first=0, total=5, notice="问题太长，只用了前 500 个字搜索。")
    assert len(messages) > 1
    assert messages[0].startswith("<i>问题太长")
    for message in messages:
        assert tg_len(message) <= TELEGRAM_LIMIT
        visible_text(message)
        assert message.count("<blockquote>") == message.count("</blockquote>")
    joined = "\n\n".join(messages)
    for i in range(5):
        assert joined.count(f"<b>文章{i}</b>") == 1


def test_pack_keeps_small_blocks_together_and_rejects_giants() -> None:
    assert pack(["a", "b", "c"], limit=10) == ["a\n\nb\n\nc"]
    assert pack(["aaaa", "bbbb", "cc"], limit=10) == ["aaaa\n\nbbbb", "cc"]
    with pytest.raises(ValueError):
        pack(["x" * 11], limit=10)


def test_intro_mentions_counts_and_newest_date() -> None:
    html = intro_html(FakeInfo(1234, 5678, "2024-03-22", "g1"))
    assert "1,234" in html and "5,678" in html and "2024-03-22" in html
    assert "/ask" in html
    visible_text(html)
    no_date = intro_html(FakeInfo(3, 4, "", "g1"))
    assert "最新" not in no_date
    assert "若干" in intro_html(None)


def test_single_sentence_paragraph_is_highlighted_whole() -> None:
    html = render_hit(make_hit("整段就是一句话。"))
    assert "<blockquote><b>整段就是一句话。</b></blockquote>" in html
