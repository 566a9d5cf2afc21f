"""The pure ranking arithmetic of newsqa.retrieval._scoring, on small hand-made inputs."""

from __future__ import annotations

import numpy as np
import pytest

from newsqa.retrieval._scoring import best_sentence, coverage, fuse, minmax, proximity, window


def test_minmax_spreads_onto_unit_interval() -> None:
    out = minmax(np.array([2.0, 4.0, 3.0], dtype=np.float32))
    assert out.dtype == np.float32
    assert out.tolist() == [0.0, 1.0, 0.5]


def test_minmax_of_a_constant_array() -> None:
    assert minmax(np.full(3, 0.7, dtype=np.float32)).tolist() == [1.0, 1.0, 1.0]
    assert minmax(np.zeros(3, dtype=np.float32)).tolist() == [0.0, 0.0, 0.0]
    assert minmax(np.full(2, -1.0)).tolist() == [0.0, 0.0]


def test_minmax_of_nothing() -> None:
    assert minmax(np.zeros(0, dtype=np.float32)).size == 0


def test_fuse_weights_the_normalised_rankers() -> None:
    dense = np.array([0.9, 0.8, 0.7], dtype=np.float32)
    lexical = np.array([0.0, 10.0, 5.0], dtype=np.float32)
    fused = fuse(dense, lexical, 0.5)
    assert fused.tolist() == pytest.approx([0.5, 0.75, 0.25])
    assert fuse(dense, lexical, 1.0).tolist() == pytest.approx(minmax(dense).tolist())
    # BM25 matching nothing leaves the dense order alone
    assert np.argsort(-fuse(dense, np.zeros(3, np.float32), 0.5)).tolist() == [0, 1, 2]


def test_fuse_is_the_served_formula_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    dense = rng.random(50, dtype=np.float32)
    lexical = (rng.random(50, dtype=np.float32) * 20).astype(np.float32)
    w = 0.5
    expected = w * minmax(dense) + (1.0 - w) * minmax(lexical)
    assert np.array_equal(fuse(dense, lexical, w), expected)


def test_coverage_is_idf_weighted() -> None:
    idf = {"林芳玲": 3.0, "法官": 1.0}
    assert coverage(idf, "法院法官林芳玲") == 1.0
    assert coverage(idf, "林芳玲发言") == 0.75
    assert coverage(idf, "无关") == 0.0
    assert coverage({}, "任何") == 0.0


def test_proximity_is_one_for_adjacent_words() -> None:
    idf = {"电商": 1.0, "妇联": 2.0}
    assert proximity("冠县成立电商妇联。", idf) == 1.0


def test_proximity_falls_with_distance_and_missing_words() -> None:
    idf = {"电商": 1.0, "妇联": 1.0}
    near = proximity("电商行业妇联。", idf)
    far = proximity("电商行业的发展离不开当地妇联。", idf)
    half = proximity("只有妇联。", idf)
    assert 0 < far < near < 1.0
    assert half == 0.5
    assert proximity("完全无关的句子。", idf) == 0.0
    assert proximity("电商妇联", {}) == 0.0


def test_proximity_scores_the_best_sentence_not_the_chunk() -> None:
    idf = {"电商": 1.0, "妇联": 1.0}
    # the words are in different sentences: no sentence holds both
    assert proximity("电商发展很快。妇联很忙。", idf) == 0.5


def test_window_weight_and_tightness() -> None:
    idf = {"ab": 2.0, "cd": 1.0, "zz": 5.0}
    weight, tight = window("abxxcd", idf)
    assert weight == 3.0  # zz is absent
    assert tight == pytest.approx(4 / 6)
    assert window("abcd", idf) == (3.0, 1.0)
    assert window("nothing", idf) == (0.0, 0.0)


def test_window_takes_the_shortest_of_several_occurrences() -> None:
    idf = {"a": 1.0, "b": 1.0}
    assert window("a....ab", idf) == (2.0, 1.0)


def test_best_sentence_picks_the_one_with_the_rare_word() -> None:
    text = "活动当天还开展了禁毒宣传。 蕉城区法院法官林芳玲现场宣讲反家庭暴力法。"
    idf = {"林芳玲": 5.0, "宣传": 0.5, "宣讲": 1.0}
    start, end = best_sentence(text, idf)
    assert text[start:end] == "蕉城区法院法官林芳玲现场宣讲反家庭暴力法。"


def test_best_sentence_defaults_to_the_first_and_strips_spaces() -> None:
    text = "  第一句。第二句。"
    start, end = best_sentence(text, {"无关": 1.0})
    assert text[start:end] == "第一句。"
    assert best_sentence("", {"x": 1.0}) == (0, 0)


def test_best_sentence_matches_traditional_text_after_normalising() -> None:
    text = "第一句。冠縣電商行業婦聯成立。"
    start, end = best_sentence(text, {"妇联": 1.0})
    assert text[start:end] == "冠縣電商行業婦聯成立。"
