"""Fault injection: bad corpora, damaged indexes, full disks and bad input, end to end."""
