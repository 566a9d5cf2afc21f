"""newsqa's benchmark scripts (not tests, not installed): each prints figures.

Run them from the repository root as modules, e.g. ``.venv/bin/python -m
benchmarks.bench_core --help``; they import one another as ``benchmarks._measure``.
Each script's docstring gives the commands behind the figures it reports.
"""
