"""Validated field types shared by the routers: every input is bounded before it reaches SQL.

PostgreSQL refuses NUL characters and out-of-range integers with an exception; bounding them
here turns what would be a 500 into a 422 that names the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field, StringConstraints

MAX_INT32 = 2**31 - 1
MAX_TICKET_ID = 2**63 - 1
MAX_TIME = 2**32 - 1  # unix seconds that fit a credential's validity field

_NO_NUL = r"^[^\x00]*$"

# Characters a terminal or a text box would act on rather than show: C0 and C1 controls, DEL,
# and the bidirectional overrides and isolates (U+202E turns text around); as the broadcast
# acknowledgements refuse them (server/routers/broadcasts.py). For names and short free
# text that reports, logs and the dashboard show (a staff name, a gate): ESC[2J stored in a
# staff name would clear the terminal of whoever reads the log.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def refuse_controls(value: str | None) -> str | None:
    """The value unchanged, or ValueError (a 422 naming the field) for a control character."""
    if value is None:
        return value
    for ch in value:
        if ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in _BIDI:
            raise ValueError(
                f"contains the control character U+{ord(ch):04X}: only printable text is accepted"
            )
    return value


# A name or short text as a device sends it (staff, gate): at most 200 printable characters.
PlainText = Annotated[
    str, StringConstraints(max_length=200, pattern=_NO_NUL), AfterValidator(refuse_controls)
]

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_NO_NUL)
]
OptName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=_NO_NUL)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+()\- .]*$")
]
Text500 = Annotated[str, StringConstraints(max_length=500, pattern=_NO_NUL)]
Id32 = Annotated[int, Field(ge=1, le=MAX_INT32)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Cents = Annotated[int, Field(ge=0, le=10**12)]
UnixTime = Annotated[int, Field(ge=0, le=MAX_TIME)]
TicketId = Annotated[int, Field(ge=1, le=MAX_TICKET_ID)]

EventPath = Annotated[int, Path(ge=1, le=MAX_INT32, description="event id")]
TicketPath = Annotated[int, Path(ge=1, le=MAX_TICKET_ID, description="ticket id")]
IdPath = Annotated[int, Path(ge=1, le=MAX_INT32)]


def to_unix(value: datetime | int | float | str) -> int:
    """A time as unix seconds: ISO 8601 (UTC unless it has an offset) or unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        ts = int(value)
    else:
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # naive times are read as UTC, documented
        ts = int(value.timestamp())
    if not 0 <= ts <= MAX_TIME:
        raise ValueError("time must be between 1970 and 2106")
    return ts


# A point in time as the API accepts it everywhere: ISO 8601 (UTC if no offset) or unix
# seconds; handlers always see unix seconds.
When = Annotated[
    datetime | int,
    AfterValidator(to_unix),
    Field(description="ISO 8601 (UTC if no offset) or unix seconds"),
]


def check_window(opens: int | None, closes: int | None, what: str) -> None:
    """Refuse a window that closes before it opens (ValueError, a 4xx for the caller)."""
    if opens is not None and closes is not None and closes < opens:
        raise ValueError(f"{what} closes before it opens")
