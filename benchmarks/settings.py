"""Benchmark-only settings: clickgame's own settings, plus the floor endpoint's URLs.

Used by `benchmarks/clicks_sync.py` for BOTH measured runs (floor and POST /api/clicks), so the
two differ only in the endpoint they hit. Never used by the app itself.
"""

from clickgame.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.floor"
