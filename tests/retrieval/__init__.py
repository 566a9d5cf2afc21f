"""Tests of newsqa.retrieval: scoring, the Retriever, evaluation, golden questions."""
