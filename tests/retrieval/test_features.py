"""The learned models' inputs: question types and the shapes of the feature rows."""

from __future__ import annotations

import numpy as np
import pytest

from newsqa.retrieval._features import (
    CANDIDATE,
    QUESTION,
    TERMS,
    VERDICT,
    candidate_features,
    question_bigrams,
    question_features,
    ranking_matrix,
    verdict_features,
)


def test_feature_rows_have_the_declared_columns() -> None:
    idf = {"妇联": 2.0, "主席": 5.0}
    dense = np.array([0.9, 0.8, 0.7])
    lexical = np.array([3.0, 0.0, 1.0])
    head = np.array([2, 0])
    q = question_features("妇联主席是谁", idf, dense, lexical)
    c = candidate_features(
        "妇联主席是谁", idf, dense, lexical, head, ["标题", "妇联"], ["妇联主席", "无关"]
    )
    assert q.shape == (len(QUESTION),) and c.shape == (2, len(CANDIDATE))
    asks = {n: v for n, v in zip(QUESTION, q, strict=True) if n.startswith("ask_")}
    assert asks == {
        "ask_person": 1.0,
        "ask_number": 0.0,
        "ask_date": 0.0,
        "ask_place": 0.0,
        "ask_what": 0.0,
    }
    col = dict(zip(CANDIDATE, c[0], strict=True))
    assert col["dense"] == pytest.approx(0.7) and col["dense_gap"] == pytest.approx(-0.2)
    assert col["cov"] == pytest.approx(1.0)  # both words in title + text
    assert dict(zip(CANDIDATE, c[1], strict=True))["lex_rr"] == pytest.approx(1.0)  # BM25 best
    # bigrams 妇联 联主 主席 席是 (谁 is the interrogative): three in the first, one in the second
    assert col["bigram"] == pytest.approx(0.75)
    assert dict(zip(CANDIDATE, c[1], strict=True))["bigram"] == pytest.approx(0.25)
    m = ranking_matrix(q, c)
    assert m.shape == (2, len(TERMS) * len(QUESTION))
    # the second term block holds the products: dense_mm * lex_mm of the first candidate
    product = TERMS.index("dense_mm*lex_mm") * len(QUESTION)  # times the bias column
    assert m[0, product] == pytest.approx(col["dense_mm"] * col["lex_mm"])
    squared = TERMS.index("dense^2") * len(QUESTION)
    assert m[0, squared] == pytest.approx(col["dense"] ** 2)
    scores = np.array([2.0, 1.0])
    v = verdict_features("妇联主席是谁", idf, scores, q, c[0], dense, "标题", "妇联", False)
    assert v.shape == (len(VERDICT),)
    row = dict(zip(VERDICT, v, strict=True))
    assert row["missing_max"] == pytest.approx(1.0)  # 主席, the rarest word, is missing
    assert row["typed"] == 1.0 and row["type_found"] == 0.0
    assert row["slot"] == 0.0  # no person in "妇联" to fill the slot
    assert row["unit_missing"] == 0.0  # a 谁 question asks for no unit


@pytest.mark.parametrize(
    ("question", "grams"),
    [
        ("妇联主席是谁", {"妇联", "联主", "主席", "席是"}),
        ("护照怎么办理？", {"护照", "办理"}),  # none across the interrogative
        ("谁？", set()),
    ],
)
def test_question_bigrams_skip_interrogatives(question: str, grams: set[str]) -> None:
    assert question_bigrams(question) == grams
