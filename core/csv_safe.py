"""CSV files people open in a spreadsheet: the one writer for every CSV Gatehouse writes.

Holder names come from imports, box offices and reservations, gate names from devices: none
of it is trusted. A text cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return, which some spreadsheets skip before looking) runs as a formula when the file is
opened (``=HYPERLINK(...)``, ``+cmd|...``), so it gets a leading single quote and shows as
text, as OWASP advises. Plain numbers ("-5.00") are left alone: they cannot be formulas and a
money column must stay numeric.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should show it: text that would run as a formula is quoted."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Mapping[str, Any] | Sequence[Any]) -> Any:
    if isinstance(row, Mapping):
        return {k: safe_cell(v) for k, v in row.items()}
    return [safe_cell(v) for v in row]


def write_csv(
    out: IO[str],
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
) -> int:
    """Write a header and rows (dicts keyed by column, or sequences in column order) to an
    open text stream (opened with ``newline=""``). Returns the number of rows written."""
    # "\n", not the csv module's "\r\n": spreadsheets read both, and a script that cuts
    # columns (`cut -d, -f5`) would otherwise keep a carriage return on the last one.
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        if isinstance(row, Mapping):
            row = [row.get(c, "") for c in columns]
        writer.writerow(safe_row(row))
        count += 1
    return count
