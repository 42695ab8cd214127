"""What the integration tests ask of an HTTP answer."""

from __future__ import annotations

from typing import Any


async def ok(response: Any, status: int = 200) -> Any:
    """The answer's JSON body, once its status is ``status`` (else fail showing its text)."""
    assert response.status == status, await response.text()
    return await response.json()
