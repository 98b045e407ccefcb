"""Speed and memory benchmarks of the generation loop, the Muse sampler and the alternatives.

Run everything with ``make bench`` or ``.venv/bin/python -m benchmarks.run --help``. Nothing here
is imported by the app or by the test suite, apart from one test that runs a tiny budget.
"""
