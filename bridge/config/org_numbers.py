"""Organisation numbers as each country's register gives them, checked when the configuration
loads (python-stdnum's ``se.orgnr`` and ``no.orgnr``):

- Sweden (Bolagsverket, *organisationsnummer*): 10 digits, the last a Luhn check digit over
  the other nine; written ``NNNNNN-NNNN`` (spaces, a hyphen or dots between are accepted).
- Norway (Brønnøysundregistrene, *organisasjonsnummer*): 9 digits, the last a MOD11 check
  digit (weights 3, 2, 7, 6, 5, 4, 3, 2 on the first eight; a remainder that would need check
  digit 10 is no number at all); written ``NNN NNN NNN`` (only spaces between are accepted).

A number is shown on the notices as the operator wrote it; only its form is checked, never
whether a register holds it.
"""

from __future__ import annotations

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

#: What each country's number is, in the words a problem names.
FORMS = {
    "SE": "a Swedish organisationsnummer (10 digits, NNNNNN-NNNN, the last a Luhn check digit)",
    "NO": "a Norwegian organisasjonsnummer (9 digits, NNN NNN NNN, the last a MOD11 check digit)",
}
_CHECKS = {"SE": se_orgnr.validate, "NO": no_orgnr.validate}


def problem(jurisdiction: str, number: str) -> str | None:
    """None when ``number`` has the form of ``jurisdiction``'s organisation numbers; else why
    not, naming the form expected (for a ValueError at load)."""
    try:
        _CHECKS[jurisdiction](number)
    except InvalidChecksum:
        return f"{number!r} is not {FORMS[jurisdiction]}: its check digit is wrong"
    except InvalidLength:
        return f"{number!r} is not {FORMS[jurisdiction]}: wrong number of digits"
    except InvalidFormat:
        return f"{number!r} is not {FORMS[jurisdiction]}: it holds other signs than the digits"
    except ValidationError:
        return f"{number!r} is not {FORMS[jurisdiction]}"
    return None


def valid(jurisdiction: str, number: str) -> bool:
    """Whether ``number`` has the form of ``jurisdiction``'s organisation numbers."""
    return problem(jurisdiction, number) is None
