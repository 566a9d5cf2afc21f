"""The Milvus backend: chunks, vectors and BM25 kept in Milvus collections."""
