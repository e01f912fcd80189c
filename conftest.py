import pytest


@pytest.fixture
def tree(db):
    from lianfang.testing import make_tree

    return make_tree()


@pytest.fixture
def superuser(db):
    from lianfang.testing import UserFactory

    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (Chinese): the active language is per thread, and a
    test that switched it must not decide what the next test on the same worker sees."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
