"""Coverage-guided fuzz harnesses for the traffic readers (one module per reader).

Each harness feeds bytes through :func:`sectool.traffic.readers.read_events` (via a temporary
file) and checks the contract of :mod:`fuzz.oracle`: the only exception is
:class:`sectool.errors.InputError` naming the file, and every event is a dict of valid ECS values.

Run one for a while (atheris/libFuzzer; seeds are slices of the real corpus, read at run time)::

    nice .venv/bin/python -m fuzz.eve -max_total_time=300

See docs/fuzzing.md for the harnesses, the options and what the long runs found.
"""
