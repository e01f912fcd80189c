import pytest
from django.core.exceptions import ValidationError

from lianfang.people.validators import id_check_digit, normalize_phone, validate_id_number, validate_phone
from lianfang.testing import make_id_number


def test_a_well_formed_id_number_with_the_right_check_character_is_accepted():
    validate_id_number("11010519491231002X")
    validate_id_number(make_id_number(7))


def test_a_lower_case_x_is_accepted_as_the_check_character():
    validate_id_number("11010519491231002x")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_checksum"),
        ("11010519491331002X", "id_birth_date"),
        ("1101051949123100", "id_format"),
        ("11010519491231002Y", "id_format"),
        ("11010521491231002X", "id_birth_date"),
    ],
)
def test_a_bad_id_number_is_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert exc.value.code == code


def test_the_check_character_follows_gb_11643():
    assert id_check_digit("11010519491231002") == "X"


@pytest.mark.parametrize("value", ["13812345678", "+86 138 1234 5678", "0913-1234567", "02912345678"])
def test_mobile_and_landline_numbers_are_accepted(value):
    validate_phone(value)


@pytest.mark.parametrize("value", ["12345", "2381234567", "138123456789", "phone"])
def test_a_bad_phone_number_is_refused_with_an_example(value):
    with pytest.raises(ValidationError) as exc:
        validate_phone(value)
    assert "13812345678" in exc.value.messages[0]


def test_a_country_prefix_and_spaces_are_removed():
    assert normalize_phone(" +86 138 1234 5678 ") == "13812345678"
