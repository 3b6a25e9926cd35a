import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.validators import (
    USCC_ALLOW_CONTEXT_KEY,
    USCC_ALPHABET,
    Uscc,
    UsccProblem,
    has_consistent_organization_code,
    is_valid_uscc,
    make_uscc_validator,
    normalize_uscc,
    organization_code_check_character,
    uscc_check_character,
    uscc_problem,
)

VALID_CODES = ("91350100M000100Y43", "91110108551385082Q", "91110000600037341L")
# An individual business (92...) in 忻府区 whose positions 9-17 fail the GB 11714 check,
# as such identifiers may: the code is still valid.
INDIVIDUAL_BUSINESS = "92140902MA0KXQ3F7B"
WRONG_CHECK = "91350100M000100Y4A"
# Z is outside the GB 32100 alphabet, so this one fails before its check character.
OUTSIDE_ALPHABET = "91350100M000100Y4Z"


def uscc_bodies() -> st.SearchStrategy[str]:
    """17 characters that can precede a check character: digits at positions 3-8."""
    head = st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2)
    division = st.text(alphabet="0123456789", min_size=6, max_size=6)
    subject = st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9)
    return st.tuples(head, division, subject).map("".join)


def valid_codes() -> st.SearchStrategy[str]:
    return uscc_bodies().map(lambda body: body + uscc_check_character(body))


class Enterprise(BaseModel):
    uscc: Uscc


@pytest.mark.parametrize("code", [*VALID_CODES, INDIVIDUAL_BUSINESS])
def test_known_valid_codes(code: str) -> None:
    assert uscc_problem(code) is None
    assert is_valid_uscc(code)


def test_individual_business_code_built_from_its_body() -> None:
    body = "92140902MA0KXQ3F7"
    code = body + uscc_check_character(body)
    assert code == INDIVIDUAL_BUSINESS
    assert is_valid_uscc(code)


def test_wrong_check_character() -> None:
    assert uscc_problem(WRONG_CHECK) is UsccProblem.CHECK_CHARACTER
    assert not is_valid_uscc(WRONG_CHECK)


def test_character_outside_the_alphabet() -> None:
    assert uscc_problem(OUTSIDE_ALPHABET) is UsccProblem.CHARSET
    assert not is_valid_uscc(OUTSIDE_ALPHABET)


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("", UsccProblem.LENGTH),
        ("91350100M000100Y4", UsccProblem.LENGTH),
        ("91350100M000100Y433", UsccProblem.LENGTH),
        ("91350100M000100I43", UsccProblem.CHARSET),
        ("91350100m000100Y43", UsccProblem.CHARSET),
        ("91350100M000100Y4 ", UsccProblem.CHARSET),
        ("9135010０M000100Y43", UsccProblem.CHARSET),
        ("913501A0M000100Y43", UsccProblem.DIVISION_CODE),
    ],
)
def test_problem_codes(code: str, problem: UsccProblem) -> None:
    assert uscc_problem(code) is problem


def test_problem_codes_are_stable_strings() -> None:
    assert [problem.value for problem in UsccProblem] == [
        "length",
        "charset",
        "division_code",
        "check_character",
    ]


def test_allow_list_exempts_only_the_check_character() -> None:
    allow = frozenset({WRONG_CHECK, "913501A0M000100Y43"})
    assert uscc_problem(WRONG_CHECK, allow) is None
    assert uscc_problem("913501A0M000100Y43", allow) is UsccProblem.DIVISION_CODE


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("  91350100m000100y43\n", "91350100M000100Y43"),
        ("\t91110108551385082q", "91110108551385082Q"),
        ("9135 0100M000100Y43", "9135 0100M000100Y43"),
    ],
)
def test_normalize_strips_and_upper_cases_only(raw: str, normalised: str) -> None:
    assert normalize_uscc(raw) == normalised


def test_organization_code_check_is_reported() -> None:
    assert all(has_consistent_organization_code(code) for code in VALID_CODES)
    assert not has_consistent_organization_code(INDIVIDUAL_BUSINESS)


@pytest.mark.parametrize(
    ("body", "check"),
    [("M000100Y", "4"), ("55138508", "2"), ("60003734", "1"), ("00000006", "X"), ("00000000", "0")],
)
def test_organization_code_check_character(body: str, check: str) -> None:
    assert organization_code_check_character(body) == check


@pytest.mark.parametrize("body", ["", "9135010", "91350100M000100Y"])
def test_check_character_needs_a_17_character_body(body: str) -> None:
    with pytest.raises(ValueError, match="17 characters"):
        uscc_check_character(body)


def test_pydantic_type_normalises() -> None:
    assert Enterprise(uscc=" 91350100m000100y43 ").uscc == "91350100M000100Y43"


def test_pydantic_type_names_the_problem() -> None:
    with pytest.raises(ValidationError, match="check_character") as raised:
        Enterprise(uscc=WRONG_CHECK)
    assert raised.value.errors()[0]["loc"] == ("uscc",)


def test_pydantic_type_takes_the_allow_list_from_the_context() -> None:
    context = {USCC_ALLOW_CONTEXT_KEY: frozenset({WRONG_CHECK})}
    enterprise = Enterprise.model_validate({"uscc": WRONG_CHECK}, context=context)
    assert enterprise.uscc == WRONG_CHECK


def test_validator_with_a_fixed_allow_list() -> None:
    validate = make_uscc_validator(frozenset({WRONG_CHECK}))
    assert validate(WRONG_CHECK.lower()) == WRONG_CHECK
    with pytest.raises(ValueError, match="length"):
        validate("9135")


@given(valid_codes())
def test_any_body_with_its_check_character_is_valid(code: str) -> None:
    assert is_valid_uscc(code)


@given(valid_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_any_single_substitution_is_detected(code: str, position: int, char: str) -> None:
    changed = code[:position] + char + code[position + 1 :]
    assert is_valid_uscc(changed) == (changed == code)


@given(valid_codes(), st.integers(min_value=0, max_value=15))
def test_any_adjacent_transposition_in_the_body_is_detected(code: str, position: int) -> None:
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert is_valid_uscc(swapped) == (swapped == code)
