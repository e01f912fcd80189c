"""Photos are checked before they are stored, and what is stored is a clean copy."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from lianfang.core.uploads import PHOTO_MAX_SIDE, check_photo, clean_photo


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def image_bytes(fmt: str = "JPEG", size=(64, 48), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(data: bytes, name: str = "round.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_phone_photo_is_accepted_and_stored_as_a_jpeg(fmt):
    stored = clean_photo(upload(image_bytes(fmt), name=f"round.{fmt.lower()}"), name="round-7")

    assert stored.name == "round-7.jpg"
    assert Image.open(io.BytesIO(stored.read())).format == "JPEG"


def test_a_large_photo_is_scaled_down_and_its_location_is_not_kept():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (34.0, 29.0, 0.0)}  # GPSInfo: latitude
    data = image_bytes(size=(4000, 3000), exif=exif.tobytes())

    stored = Image.open(io.BytesIO(clean_photo(upload(data)).read()))

    assert max(stored.size) == PHOTO_MAX_SIDE
    assert not stored.getexif()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.7 a report, not a photo", "round.jpg"),
        (b"MZ\x90\x00 a program", "round.jpg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "round.svg"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "round.webp"),
        (image_bytes()[:200], "round.jpg"),  # cut off: the upload broke halfway
    ],
)
def test_a_file_that_is_not_a_photo_is_refused_whatever_its_name(data, name):
    with pytest.raises(ValidationError) as refused:
        check_photo(upload(data, name=name))

    assert refused.value.code == "not_image"
    assert "not a photo" in refused.value.messages[0]


def test_a_photo_over_the_size_limit_is_refused_before_it_is_read(settings):
    settings.LIANFANG_MAX_PHOTO_BYTES = 1000

    class Unreadable(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("read before the size was checked")

    big = Unreadable("round.jpg", b"x" * 2000, content_type="image/jpeg")

    with pytest.raises(ValidationError) as refused:
        check_photo(big)

    assert refused.value.code == "too_large"
    assert "1000\xa0bytes" in refused.value.messages[0]


def test_an_empty_photo_is_refused():
    with pytest.raises(ValidationError) as refused:
        check_photo(upload(b""))

    assert refused.value.code == "empty"


def test_a_photo_with_more_pixels_than_any_camera_is_refused(monkeypatch):
    from lianfang.core import uploads

    monkeypatch.setattr(uploads, "PHOTO_MAX_PIXELS", 100)

    with pytest.raises(ValidationError) as refused:
        check_photo(upload(image_bytes(size=(20, 20))))

    assert refused.value.code == "too_many_pixels"
