"""``TextEncoder``: the real :class:`Embedder` and the tests' fake both satisfy it.

The assignments are the test under mypy (which checks tests too); at run time the
protocol's members are merely looked up, so no model is loaded.
"""

from __future__ import annotations

from newsqa.index import Embedder, ModelConfig, TextEncoder
from tests.conftest import FakeEmbedder

_MEMBERS = (
    "dim",
    "identity",
    "encode_passages",
    "encode_queries",
    "encode_query",
    "use_query_threads",
)


def _members(encoder: TextEncoder) -> list[str]:
    cls = type(encoder)
    return [name for name in _MEMBERS if hasattr(cls, name)]


def test_embedder_and_fake_are_text_encoders() -> None:
    real: TextEncoder = Embedder(ModelConfig())
    fake: TextEncoder = FakeEmbedder()
    assert _members(real) == list(_MEMBERS)
    assert _members(fake) == list(_MEMBERS)
    assert fake.dim == 64 and fake.encode_query("问").shape == (64,)
