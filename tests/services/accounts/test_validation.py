"""ACC-2 / ACC-4 field validation: check characters of credit codes and resident IDs, mainland
phone numbers, email addresses."""

import pytest

from services.accounts import validation
from services.errors import InvalidInput

VALID_USCC = "91350100M000100Y43"
VALID_RESIDENT_ID = "11010519491231002X"


def test_acc4_valid_credit_code_and_resident_id() -> None:
    assert validation.credit_code(VALID_USCC.lower()) == VALID_USCC
    assert validation.resident_id(VALID_RESIDENT_ID.lower()) == VALID_RESIDENT_ID


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100I43", ""])
def test_acc4_credit_code_with_wrong_check_character_or_shape(code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validation.credit_code(code)
    assert refused.value.field == ["subjectNumber"]


@pytest.mark.parametrize(
    "number", ["110105194912310021", "11010519491331002X", "1101051949123100", "A1010519491231002X"]
)
def test_acc4_resident_id_with_wrong_check_digit_date_or_shape(number: str) -> None:
    with pytest.raises(InvalidInput):
        validation.resident_id(number)


@pytest.mark.parametrize("phone", ["13800138000", "+8613800138000", "+86 13912345678", "0755-86013388", "01088886666"])
def test_acc2_mainland_phone_numbers(phone: str) -> None:
    assert validation.phone(phone)


@pytest.mark.parametrize("phone", ["12800138000", "1380013800", "555-1234", "+1 4155550100", "abc"])
def test_acc2_other_phone_numbers_are_invalid(phone: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validation.phone(phone)
    assert refused.value.field == ["phone"]


@pytest.mark.parametrize("email", ["a@b", "no-at.example.cn", "x@y..cn", "x y@z.cn"])
def test_acc2_malformed_email_is_invalid(email: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validation.email(email)
    assert refused.value.field == ["email"]


def test_check_characters_are_computed_by_the_standards() -> None:
    # GB 32100-2015 and GB 11643-1999 worked examples.
    assert validation.uscc_check_char(VALID_USCC[:17]) == "3"
    assert validation.resident_id_check_char(VALID_RESIDENT_ID[:17]) == "X"


@pytest.mark.parametrize("value", ["13８００１３８０００", "１１０１０５１９４９１２３１００２X"])
def test_acc2_acc4_only_ascii_digits(value: str) -> None:
    with pytest.raises(InvalidInput):
        (validation.phone if len(value) == 11 else validation.resident_id)(value)
