"""The shipped ranking and verdict models: a few numbers in ``models.json``.

Both are linear models over :mod:`._features`, trained offline by
``benchmarks/train_models.py`` on visible data (CMRC 2018 trial, half of DRCD dev,
WebQA's tune half, newsqa's own tune questions) inside a pool of real news:

* the **ranking** model scores each candidate by ``sum(W * outer(candidate,
  question))``: a weighting of the candidate signals that depends on the question
  (a softmax over each question's candidates, trained to put the gold article first);
* the **verdict** model is a logistic regression over the top hit's features whose
  output is the calibrated probability that the top hit answers the question, or 0
  when a check finds the hit cannot hold the asked fact (:data:`~._features.VETO`).

The file records :data:`~._features.DEFINITION`, the digest of the feature code it was
trained on; :func:`load_models` refuses a missing or unreadable file with a
:class:`~newsqa.index.ConfigError`, and a test fails when the digest is stale.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from newsqa.index import ConfigError

from ._features import CANDIDATE, DEFINITION, QUESTION, TERMS, VERDICT, VETO

__all__ = ["MODELS_PATH", "Models", "load_models"]

logger = logging.getLogger(__name__)

MODELS_PATH = Path(__file__).with_name("models.json")

FloatArray = npt.NDArray[np.float64]

_VETO_COLUMNS = tuple(VERDICT.index(name) for name in VETO)


@dataclass(frozen=True, slots=True)
class Models:
    """The two trained models, as arrays."""

    ranking: FloatArray
    """``(len(TERMS) * len(QUESTION),)`` weights of the flattened ranking matrix."""
    verdict: FloatArray
    """``(len(VERDICT),)`` logistic weights over the standardised verdict features."""
    verdict_mean: FloatArray
    verdict_scale: FloatArray
    definition: str
    """The feature digest the models were trained against."""

    def rank_scores(self, matrix: FloatArray) -> FloatArray:
        """The ranking model's score of each row of a :func:`ranking_matrix`."""
        return matrix @ self.ranking

    def confidence(self, features: FloatArray) -> float:
        """The calibrated probability, in ``[0, 1]``, that the top hit answers; 0 when a
        :data:`~._features.VETO` check is set (the hit cannot hold the asked fact)."""
        if any(features[i] > 0.5 for i in _VETO_COLUMNS):
            return 0.0
        z = float(((features - self.verdict_mean) / self.verdict_scale) @ self.verdict)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_json(self, **extra: Any) -> dict[str, Any]:
        return {
            "definition": self.definition,
            "question_features": list(QUESTION),
            "candidate_features": list(CANDIDATE),
            "ranking_terms": list(TERMS),
            "verdict_features": list(VERDICT),
            "ranking": [round(float(x), 6) for x in self.ranking],
            "verdict": [round(float(x), 6) for x in self.verdict],
            "verdict_mean": [round(float(x), 6) for x in self.verdict_mean],
            "verdict_scale": [round(float(x), 6) for x in self.verdict_scale],
            **extra,
        }


def parse_models(data: dict[str, Any]) -> Models:
    """A :class:`Models` from the JSON of ``models.json`` (shape-checked)."""
    try:
        if (
            data["question_features"] != list(QUESTION)
            or data["candidate_features"] != list(CANDIDATE)
            or data["ranking_terms"] != list(TERMS)
            or data["verdict_features"] != list(VERDICT)
        ):
            raise ValueError("feature names differ from the code's")
        models = Models(
            ranking=np.asarray(data["ranking"], dtype=np.float64),
            verdict=np.asarray(data["verdict"], dtype=np.float64),
            verdict_mean=np.asarray(data["verdict_mean"], dtype=np.float64),
            verdict_scale=np.asarray(data["verdict_scale"], dtype=np.float64),
            definition=str(data["definition"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{MODELS_PATH}: not a newsqa models file ({exc})") from exc
    if models.ranking.shape != (len(TERMS) * len(QUESTION),) or any(
        a.shape != (len(VERDICT),)
        for a in (models.verdict, models.verdict_mean, models.verdict_scale)
    ):
        raise ConfigError(f"{MODELS_PATH}: weights of the wrong shape (retrain)")
    return models


@cache
def load_models() -> Models:
    """The shipped models (read once)."""
    try:
        data = json.loads(MODELS_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the shipped models {MODELS_PATH}: {exc}") from exc
    models = parse_models(data)
    if models.definition != DEFINITION:
        logger.warning(
            "%s was trained on other feature code (%s, now %s): retrain it with "
            "benchmarks/train_models.py",
            MODELS_PATH.name,
            models.definition,
            DEFINITION,
        )
    return models
