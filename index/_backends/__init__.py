"""Where an index is kept: the local segmented folder or Milvus."""
