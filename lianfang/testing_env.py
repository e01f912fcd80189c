"""A pytest plugin loaded before Django's settings (``-p lianfang.testing_env`` in pyproject.toml).

conftest.py runs too late for settings that are read at import time.
"""

import os

os.environ.setdefault("LIANFANG_TESTING", "1")
os.environ.setdefault("LIANFANG_JOBS_IMMEDIATE", "1")
os.environ.setdefault("LIANFANG_FIELD_KEY", "nB6o5yq3m4rO7n0vS2Qd0tP8hGx1YH3o6bq0n0U9cG8=")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
