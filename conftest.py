import pytest


@pytest.fixture
def tree(db):
    from lianfang.testing import make_tree

    return make_tree()


@pytest.fixture
def superuser(db):
    from lianfang.testing import UserFactory

    return UserFactory(username="root", is_superuser=True, is_staff=True)
