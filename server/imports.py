"""Parsers for ticket lists from elsewhere: a generic CSV, Eventbrite's attendee CSV export,
pretix's order JSON export. Each yields ``Incoming`` records; ``ticketing`` stores them.

A record with a barcode becomes a foreign ticket (the manifest carries the barcode's hash);
a record with only a name is a guest-list entry, admitted from the kiosk's name search.
docs/server.md lists the accepted columns and fields.

A tier an import creates on the fly is admitted by no gate that lists its tiers:
``new_tier_gates`` says which gates refuse it and the one command that fixes them.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

FORMATS = ("csv", "eventbrite", "pretix")


class ImportProblem(ValueError):
    """The file as a whole cannot be read (wrong format, missing columns)."""


@dataclass
class Incoming:
    line: int  # row number (CSV) or position number (pretix), for error messages
    holder: str
    tier: str | None
    barcode: str | None
    email: str | None = None
    ref: str | None = None
    skip: str | None = None  # why this record is not imported (refunded, unpaid...)


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _reader(text: str) -> csv.DictReader:
    text = text.lstrip("\ufeff")  # spreadsheet exports often start with a byte-order mark
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        raise ImportProblem("the file is empty or has no header row")
    return reader


def _pick(row: dict[str, Any], columns: dict[str, str], *names: str) -> str:
    for n in names:
        key = columns.get(n)
        if key is not None:
            value = row.get(key)
            if value:
                return str(value).strip()
    return ""


def parse_csv(text: str) -> Iterator[Incoming]:
    """Generic CSV: name/holder, tier, barcode, email, ref (any order, any case)."""
    reader = _reader(text)
    columns = {_norm(c): c for c in reader.fieldnames or [] if c}
    if not {"name", "holder", "barcode", "attendee"} & set(columns):
        raise ImportProblem(
            "a CSV guest list needs a 'name' (or 'holder') column and/or a 'barcode' column"
        )
    for i, row in enumerate(reader, start=2):
        first_last = " ".join(
            p for p in (_pick(row, columns, "firstname"), _pick(row, columns, "lastname")) if p
        )
        holder = _pick(row, columns, "name", "holder", "attendee") or first_last
        yield Incoming(
            line=i,
            holder=holder,
            tier=_pick(row, columns, "tier", "tickettype", "type") or None,
            barcode=_pick(row, columns, "barcode", "code") or None,
            email=_pick(row, columns, "email") or None,
            ref=_pick(row, columns, "ref", "reference", "id") or None,
        )


_EVENTBRITE_SKIP = ("refunded", "cancelled", "canceled", "not attending", "deleted")


def parse_eventbrite(text: str) -> Iterator[Incoming]:
    """Eventbrite "Attendee summary" CSV: First Name, Last Name, Email, Ticket Type,
    Barcode #, Attendee #, Attendee Status (refunded/cancelled rows are skipped)."""
    reader = _reader(text)
    columns = {_norm(c): c for c in reader.fieldnames or [] if c}
    if "tickettype" not in columns or not ({"barcode", "firstname"} & set(columns)):
        raise ImportProblem(
            "this does not look like an Eventbrite attendee export "
            "(needs 'Ticket Type' and 'Barcode #' or 'First Name' columns)"
        )
    for i, row in enumerate(reader, start=2):
        holder = " ".join(
            p for p in (_pick(row, columns, "firstname"), _pick(row, columns, "lastname")) if p
        )
        status = _pick(row, columns, "attendeestatus", "status").lower()
        yield Incoming(
            line=i,
            holder=holder,
            tier=_pick(row, columns, "tickettype") or None,
            barcode=_pick(row, columns, "barcode") or None,
            email=_pick(row, columns, "email") or None,
            ref=_pick(row, columns, "attendee", "attendeeid") or None,
            skip=f"status {status!r}" if status in _EVENTBRITE_SKIP else None,
        )


def _label(value: Any) -> str:
    if isinstance(value, dict):  # pretix i18n strings: {"en": "Early bird", "de": ...}
        return str(value.get("en") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


_PRETIX_STATUS = {"p": None, "n": "order not paid", "c": "order cancelled", "e": "order expired"}


def parse_pretix(text: str) -> Iterator[Incoming]:
    """pretix order data (JSON export ``{"event": {"items": [...], "orders": [...]}}``) or a
    REST API page (``{"results": [orders]}``). Each order position is one ticket."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ImportProblem(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ImportProblem("pretix data must be a JSON object")
    event = data.get("event") if isinstance(data.get("event"), dict) else {}
    orders = event.get("orders") or data.get("orders") or data.get("results")
    if not isinstance(orders, list):
        raise ImportProblem("no 'orders' found: export 'Order data (JSON)' from pretix")
    items = {
        it.get("id"): _label(it.get("name"))
        for it in event.get("items") or []
        if isinstance(it, dict)
    }
    for order in orders:
        if not isinstance(order, dict):
            raise ImportProblem("an order is not a JSON object")
        skip = _PRETIX_STATUS.get(str(order.get("status", "p")), "unknown order status")
        for pos in order.get("positions") or []:
            if not isinstance(pos, dict):
                raise ImportProblem("an order position is not a JSON object")
            item = pos.get("item")
            yield Incoming(
                line=int(pos.get("positionid") or pos.get("id") or 0)
                if _ascii_digits(str(pos.get("positionid") or pos.get("id") or "0"))
                else 0,
                holder=_label(pos.get("attendee_name")) or _label(order.get("name")),
                tier=items.get(item) or (f"Item {item}" if item is not None else None),
                barcode=_label(pos.get("secret")) or None,
                email=_label(pos.get("attendee_email")) or _label(order.get("email")) or None,
                ref=f"{order.get('code', '')}-{pos.get('positionid') or pos.get('id') or ''}",
                skip=skip,
            )


def parse(fmt: str, text: str) -> list[Incoming]:
    parser = {"csv": parse_csv, "eventbrite": parse_eventbrite, "pretix": parse_pretix}.get(fmt)
    if parser is None:
        raise ImportProblem(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    try:
        return list(parser(text))
    except csv.Error as exc:
        raise ImportProblem(f"the CSV file is damaged ({exc})") from None


def new_tier_gates(conn: Any, event_id: int, created: list[str]) -> list[dict[str, Any]]:
    """For each tier the import created: the gates that list tiers and so refuse it, and a
    message with the command that adds it to all of them (empty gate list: nothing to do)."""
    from sqlalchemy import select

    from server.schema import gates, tiers

    if not created:
        return []
    tier_rows = conn.execute(
        select(tiers.c.id, tiers.c.name).where(tiers.c.event_id == event_id)
    ).all()
    names = {r.id: r.name for r in tier_rows}
    ids = {r.name.casefold(): r.id for r in tier_rows}
    gate_rows = conn.execute(
        select(gates.c.id, gates.c.name, gates.c.tiers)
        .where(gates.c.event_id == event_id, gates.c.tiers.is_not(None))
        .order_by(gates.c.id)
    ).all()
    out = []
    for name in created:
        tier_id = ids.get(name.casefold())
        refusing = [
            {
                "id": g.id,
                "name": g.name,
                "admits": [names.get(t, f"tier {t}") for t in json.loads(g.tiers)],
            }
            for g in gate_rows
            if tier_id not in json.loads(g.tiers)
        ]
        message = f"New tier {name!r} was created"
        # code + params: a client words it in its person's language (the message stays English)
        command = (
            f"gatehouse admin gate edit --event {event_id} --all-gates --add-tier "
            f"{shlex.quote(name)}"
        )
        if refusing:
            # each gate with what it admits: "North admits only GA; VIP Door admits only VIP"
            each = "; ".join(
                f"{g['name']} admits only {', '.join(g['admits']) or 'no tier'}" for g in refusing
            )
            message += (
                f", but no gate that lists its tiers admits it ({each}): add it with `{command}`"
            )
            code, params = "new_tier_refused", {"tier": name, "command": command}
        else:
            message += "; every gate admits it"
            code, params = "new_tier_everywhere", {"tier": name}
        out.append(
            {
                "tier": name,
                "tier_id": tier_id,
                "refused_at": refusing,
                "message": message,
                "code": code,
                "params": params,
            }
        )
    return out


def _ascii_digits(text: str) -> bool:
    """Digits int() reads: isdigit() alone also takes "²"."""
    return text.isascii() and text.isdigit()
