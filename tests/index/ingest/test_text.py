"""Normalisation for matching and sentence splitting."""

from __future__ import annotations

from newsqa.index import content_chars, normalize, split_sentences, tokenize


def test_normalize_folds_width_case_and_traditional() -> None:
    assert normalize("蕭山區婦聯ＡＢＣ１２３，") == "萧山区妇联abc123,"
    assert normalize("冠县") == "冠县"


def test_content_chars_keeps_letters_and_digits_only() -> None:
    assert content_chars("“10+1”直接联系 妇女群众工作法。") == "101直接联系妇女群众工作法"


def test_split_sentences_covers_text_with_closing_quotes() -> None:
    text = "“我深知,这是责任。”她说。第二句!第三句没有结尾"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "“我深知,这是责任。”",
        "她说。",
        "第二句!",
        "第三句没有结尾",
    ]


def test_tokenize_drops_punctuation_and_question_words() -> None:
    tokens = tokenize("冠縣婦聯主席是誰？")
    assert tokens == ["冠县", "妇联", "主席"]
