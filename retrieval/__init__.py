"""newsqa's query side: hybrid dense + BM25 search and quoted answers.

Public surface::

    Retriever.open(config)        load the served index and the model once
    Retriever.ask(question, k)    -> Answer(question, confident, hits, notice)
    Retriever.reload()            pick up a rebuilt index without a restart
    Retriever.index, .info        the index being served, and its summary
    Retriever.close()             close the index (also ``with Retriever.open(...)``)
    Conversation(retriever)       follow-up questions: .ask, .more, .detail, .reset
    Answer, Hit                   frozen results; scores are higher-is-better
    evaluate(...)                 Recall@k / MRR / latency over an evaluation file

The configuration object and the error hierarchy are re-exported from ``newsqa.index`` so
front ends need nothing else.
"""

from __future__ import annotations

from newsqa.index import (
    Config,
    ConfigError,
    IndexInfo,
    IndexMismatchError,
    IndexNotFoundError,
    NewsqaError,
    load_config,
)

from ._answer import Answer, Hit
from ._conversation import Conversation, Turn
from ._eval import EvalReport, evaluate
from ._retriever import Retriever

__all__ = [
    "Answer",
    "Config",
    "ConfigError",
    "Conversation",
    "EvalReport",
    "Hit",
    "IndexInfo",
    "IndexMismatchError",
    "IndexNotFoundError",
    "NewsqaError",
    "Retriever",
    "Turn",
    "evaluate",
    "load_config",
]
