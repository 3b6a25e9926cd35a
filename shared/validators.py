"""Validation of the unified social credit code (统一社会信用代码, GB 32100-2015).

Layout of the 18 characters:

- 1: registration authority, 2: entity type;
- 3-8: administrative division code (GB/T 2260, digits);
- 9-17: subject identifier, in the format of the GB 11714 organisation code
  (8 body characters and their own check character);
- 18: the USCC check character over positions 1-17.

Only the USCC check character is enforced. The embedded organisation-code check is
reported by `has_consistent_organization_code` but never rejects a code: individual
businesses (`92...`) and other subjects that never held an organisation code are given
identifiers by the registration authority that need not satisfy GB 11714, and the
campaign's counting rules accept any code whose GB 32100 check character is right.

A county is never derived from a USCC: positions 3-8 are the registering authority's
division, which need not be where the enterprise is listed.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

USCC_LENGTH = 18
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100: digits and upper-case letters without I, O, Z, S, V."""

_USCC_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}
# The weights are 3**i mod 31; 31 is prime and 3 a primitive root, so every single
# substitution and every adjacent transposition in the body changes the check character.
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_DIVISION_SLICE = slice(2, 8)
_ORGANIZATION_CODE_SLICE = slice(8, 17)
_DIGITS = frozenset("0123456789")

_ORGANIZATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORGANIZATION_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

USCC_ALLOW_CONTEXT_KEY = "uscc_allow"
"""Key of a pydantic validation context entry holding a `frozenset[str]` allow-list."""


class UsccProblem(StrEnum):
    """Why a string is not a valid USCC; the values are stable, machine-readable codes."""

    LENGTH = "length"
    CHARSET = "charset"
    DIVISION_CODE = "division_code"
    CHECK_CHARACTER = "check_character"


_PROBLEM_DESCRIPTIONS = {
    UsccProblem.LENGTH: f"must be exactly {USCC_LENGTH} characters",
    UsccProblem.CHARSET: f"may only contain the characters {USCC_ALPHABET}",
    UsccProblem.DIVISION_CODE: "positions 3-8 (division code) must be digits",
    UsccProblem.CHECK_CHARACTER: "the check character at position 18 does not match",
}


def describe_problem(problem: UsccProblem) -> str:
    """A human-readable sentence for a problem code."""
    return _PROBLEM_DESCRIPTIONS[problem]


def normalize_uscc(raw: str) -> str:
    """Strip surrounding whitespace and upper-case the code.

    Codes are typed by hand and pasted from spreadsheets, where trailing blanks and
    lower-case letters are common and carry no meaning; GB 32100 has upper-case only.
    Inner whitespace and full-width characters are left alone and therefore rejected.
    """
    return raw.strip().upper()


def uscc_check_character(body: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code."""
    if len(body) != USCC_LENGTH - 1 or not set(body) <= _USCC_VALUES.keys():
        raise ValueError(f"a USCC body is 17 characters from {USCC_ALPHABET}, got {body!r}")
    weighted_sum = sum(
        _USCC_VALUES[char] * weight for char, weight in zip(body, _USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - weighted_sum % 31) % 31]


def uscc_problem(code: str, allow: frozenset[str] = frozenset()) -> UsccProblem | None:
    """None when `code` is a valid USCC, else the first problem found.

    `code` is checked as given: normalise input with `normalize_uscc` first.
    Codes in `allow` (early pilot codes issued with a wrong check character) are
    exempt from the check-character test only.
    """
    if len(code) != USCC_LENGTH:
        return UsccProblem.LENGTH
    if not set(code) <= _USCC_VALUES.keys():
        return UsccProblem.CHARSET
    if not set(code[_DIVISION_SLICE]) <= _DIGITS:
        return UsccProblem.DIVISION_CODE
    if code[-1] != uscc_check_character(code[:-1]) and code not in allow:
        return UsccProblem.CHECK_CHARACTER
    return None


def is_valid_uscc(code: str, allow: frozenset[str] = frozenset()) -> bool:
    """Whether `code` (already normalised) is a valid USCC."""
    return uscc_problem(code, allow) is None


def organization_code_check_character(body: str) -> str:
    """The GB 11714 check character for the 8 body characters of an organisation code."""
    if len(body) != 8 or not set(body) <= set(_ORGANIZATION_CODE_ALPHABET):
        raise ValueError(f"an organisation code body is 8 digits or letters, got {body!r}")
    weighted_sum = sum(
        _ORGANIZATION_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(body, _ORGANIZATION_CODE_WEIGHTS, strict=True)
    )
    check = 11 - weighted_sum % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def has_consistent_organization_code(code: str) -> bool:
    """Whether positions 9-17 of a valid USCC pass the GB 11714 check.

    Informational only: a False result is no reason to reject the code.
    """
    organization_code = code[_ORGANIZATION_CODE_SLICE]
    return organization_code[-1] == organization_code_check_character(organization_code[:-1])


def make_uscc_validator(allow: frozenset[str] = frozenset()) -> Callable[[str], str]:
    """A normalising validator for `AfterValidator`, with a fixed allow-list."""

    def validate(raw: str) -> str:
        return _checked_uscc(raw, allow)

    return validate


def _checked_uscc(raw: str, allow: frozenset[str]) -> str:
    code = normalize_uscc(raw)
    problem = uscc_problem(code, allow)
    if problem is not None:
        raise ValueError(f"invalid USCC {code!r} ({problem.value}): {describe_problem(problem)}")
    return code


def _allow_list_from(info: ValidationInfo) -> frozenset[str]:
    context: Any = info.context
    if isinstance(context, dict):
        allow = context.get(USCC_ALLOW_CONTEXT_KEY, frozenset())
        return frozenset(allow)
    return frozenset()


def _validate_uscc_field(raw: str, info: ValidationInfo) -> str:
    return _checked_uscc(raw, _allow_list_from(info))


Uscc = Annotated[str, AfterValidator(_validate_uscc_field)]
"""A normalised, valid USCC. The allow-list, if any, comes from the validation context
under `USCC_ALLOW_CONTEXT_KEY`, e.g. `Model.model_validate(data, context={...})`."""
