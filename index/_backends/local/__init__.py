"""The local backend: immutable segments and generations in the index folder."""
