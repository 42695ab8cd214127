"""E-mail addresses: the one syntax check for every address the bridge sends to or from, in
the configuration at load and in a draft's recipient field as people edit it. Syntax only
(email-validator with ``check_deliverability=False``): no DNS look-up."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def split(text: str) -> list[str]:
    """The addresses of a comma-separated field, stripped."""
    return [a.strip() for a in text.split(",")]


def address_problem(text: str, *, several: bool = True) -> str | None:
    """What is wrong with an address, or a comma-separated list of them when ``several``;
    None when each is an e-mail address."""
    addresses = split(text) if several else [text.strip()]
    if not any(addresses):
        return "expected an e-mail address"
    for address in addresses:
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            return f"{address!r} is not an e-mail address: {exc}"
    return None
