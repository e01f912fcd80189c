import os

os.environ.setdefault("LIANFANG_TESTING", "1")
os.environ.setdefault("LIANFANG_JOBS_IMMEDIATE", "1")
os.environ.setdefault("LIANFANG_FIELD_KEY", "nB6o5yq3m4rO7n0vS2Qd0tP8hGx1YH3o6bq0n0U9cG8=")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)

import pytest  # noqa: E402


@pytest.fixture
def tree(db):
    from lianfang.testing import make_tree

    return make_tree()


@pytest.fixture
def superuser(db):
    from lianfang.testing import UserFactory

    return UserFactory(username="root", is_superuser=True, is_staff=True)
