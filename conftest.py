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


@pytest.fixture(autouse=True, scope="session")
def _media_in_a_temporary_folder(tmp_path_factory):
    """Uploaded files (the demo's photos of disinfection rounds, a test's upload) go to a folder of the
    test run, never into the data folder of the working copy."""
    from django.conf import settings

    previous = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    yield
    settings.MEDIA_ROOT = previous
