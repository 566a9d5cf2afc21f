"""The shipped models file: present, well-formed and trained on the current features."""

from __future__ import annotations

import json

import numpy as np
import pytest

from newsqa.index import ConfigError
from newsqa.retrieval._features import DEFINITION, QUESTION, TERMS, VERDICT, VETO
from newsqa.retrieval._models import MODELS_PATH, load_models, parse_models


def test_models_file_is_shipped_and_current() -> None:
    assert MODELS_PATH.is_file(), "retrieval/models.json is missing: run benchmarks/train_models"
    data = json.loads(MODELS_PATH.read_text(encoding="utf-8"))
    assert data["definition"] == DEFINITION, (
        "retrieval/models.json was trained on other feature code: retrain it with "
        "python -m benchmarks.train_models (see its docstring)"
    )
    models = load_models()
    assert models.ranking.shape == (len(TERMS) * len(QUESTION),)
    assert models.verdict.shape == (len(VERDICT),)
    assert np.isfinite(models.ranking).all() and np.isfinite(models.verdict).all()


def test_confidence_is_a_probability() -> None:
    models = load_models()
    for features in (np.zeros(len(VERDICT)), np.full(len(VERDICT), 100.0)):
        assert 0.0 <= models.confidence(features) <= 1.0


def test_a_check_that_the_hit_cannot_answer_declines_on_its_own() -> None:
    models = load_models()
    # the most confident row the model allows, then each vetoing check set on it
    sure = np.where(models.verdict > 0, 100.0, -100.0) * models.verdict_scale
    sure = sure + models.verdict_mean
    for name in VETO:
        sure[VERDICT.index(name)] = 0.0
    assert models.confidence(sure) > 0.99
    for name in VETO:
        vetoed = sure.copy()
        vetoed[VERDICT.index(name)] = 1.0
        assert models.confidence(vetoed) == 0.0, name


def test_a_file_for_other_features_is_refused() -> None:
    data = json.loads(MODELS_PATH.read_text(encoding="utf-8"))
    data["candidate_features"] = [*data["candidate_features"], "new_signal"]
    with pytest.raises(ConfigError, match="feature names"):
        parse_models(data)
    data = json.loads(MODELS_PATH.read_text(encoding="utf-8"))
    data["ranking"] = data["ranking"][:-1]
    with pytest.raises(ConfigError, match="wrong shape"):
        parse_models(data)
