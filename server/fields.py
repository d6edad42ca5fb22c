"""Validated field types shared by the routers: every input is bounded before it reaches SQL.

PostgreSQL refuses NUL characters and out-of-range integers with an exception; bounding them
here turns what would be a 500 into a 422 that names the field.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field, StringConstraints

MAX_INT32 = 2**31 - 1
MAX_TICKET_ID = 2**63 - 1
MAX_TIME = 2**32 - 1  # unix seconds that fit a credential's validity field

_NO_NUL = r"^[^\x00]*$"

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
