from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from lianfang.org.choices import Role
from lianfang.sites.defaults import ensure_default_disinfectants
from lianfang.sites.models import Disinfectant
from lianfang.testing import FrozenClock, PersonFactory, user_with_role

# Monday 7 December 2026, 08:00 in Shanghai: before the first round of the day is due.
T0 = datetime.datetime(2026, 12, 7, 0, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)


Clock = FrozenClock


def local(day: datetime.date, hhmm: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm)))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clock(monkeypatch):
    c = Clock(T0)
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture
def agents(db):
    """The default catalogue: chlorine 500 and 1000 mg/L (30 min), alcohol 75% (1 min), peracetic acid."""
    ensure_default_disinfectants()
    return {
        "chlorine": Disinfectant.objects.get(name="含氯消毒剂", concentration="500 mg/L"),
        "chlorine_1000": Disinfectant.objects.get(name="含氯消毒剂", concentration="1000 mg/L"),
        "alcohol": Disinfectant.objects.get(concentration="75%"),
    }


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


@pytest.fixture
def liaison(tree):
    """The liaison of subsidiary A (its heat station A1S is the site of most tests)."""
    return user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")


@pytest.fixture
def staff(tree):
    """The heat station's staff: checkpoint role on the station, with a roster record."""
    user = user_with_role(Role.CHECKPOINT, tree.a1s, username="station-staff")
    PersonFactory(unit=tree.a1s, user=user, name="王师傅")
    return user


def photo(name: str = "round.jpg", fmt: str = "JPEG") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 120, 200)).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")
