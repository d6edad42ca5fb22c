"""The BoxOffice service: find a reservation, take the money, hand over signed tickets.

The one path the box-office window and ``gatehouse box-office`` share, and it works with no
network: reservations come from the synced manifest, tickets are signed with this counter's
delegated issuing key (certified by the server in the manifest, so every door accepts them),
and each sale is committed durably with its tickets before anyone sees a ticket. Walk-up
sales draw on the seats the server granted this counter; beyond them a sale is refused.

Amounts are integer cents throughout; ``parse_amount`` reads what a person typed, ``money``
writes the plain form for files and JSON, and ``money_words`` (``core.money.format_money``)
writes an amount for people: in the event's currency, the way their language writes money.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.staff import StaffMember, StaffRoster
from core import credentials, messages
from core.credentials import MAX_TICKET_ID, ticket_number
from core.keys import SigningKey
from core.media import (
    ACTIVE,
    NFC,
    AmbiguousUid,
    MediumProblem,
    display_uid,
    medium_hash,
    normalise,
    same_band,
)
from core.money import currency_or_none, format_money
from local_db import media as media_db
from local_db import sales as sales_db
from local_db.sales import AllocationExceeded, SaleRecord, SoldTicket
from local_db.store import Store
from sync.box_office import load_issuing_key

METHODS = ("cash", "card", "upi", "other")
# Who may sell at a counter (the window's sign-in page offers only them).
SELLER_ROLES = ("box-office", "supervisor")


class BoxOfficeError(Exception):
    """Something the person at the counter must read: plain words, no traceback.

    ``code`` is stable and ``params`` holds plain values (amounts in cents); the words are
    the catalogue's ``boxoffice.<code>`` (core/messages), so ``str(exc)`` (English, what the
    CLI prints) and ``words(lang)`` (what the counter shows) are one text, translated once.
    """

    def __init__(self, message: str, code: str = "", /, **params: Any):
        super().__init__(message)
        self.code = code
        self.params = params

    @classmethod
    def because(cls, code: str, /, **params: Any) -> BoxOfficeError:
        """The refusal ``code`` with its English words from the catalogue."""
        return cls(refusal_words(code, params), code, **params)

    def words(self, lang: str = messages.SOURCE) -> str:
        """This refusal in ``lang`` (the English sentence for a code the catalogue lacks)."""
        if messages.raw(f"boxoffice.{self.code}") is None:
            return str(self)
        return refusal_words(self.code, self.params, lang)


def method_name(method: str, lang: str = messages.SOURCE) -> str:
    """A payment method in words (the service's codes stay English: cash, card, upi, other)."""
    key = f"payment.{method}"
    return messages.text(key, lang) if messages.raw(key) is not None else method


def refusal_words(code: str, params: dict[str, Any], lang: str = messages.SOURCE) -> str:
    """``boxoffice.<code>`` in ``lang`` with the service's plain values in words: amounts
    in cents as money, method codes as names, lists joined."""
    p = dict(params)
    currency = p.pop("currency", None)
    for name in ("tendered", "due", "short", "amount"):
        if f"{name}_cents" in p:
            p[name] = money_words(p.pop(f"{name}_cents"), currency, lang)
    if "method" in p:
        p["method"] = method_name(str(p["method"]), lang)
    if "methods" in p:
        p["methods"] = ", ".join(method_name(m, lang) for m in p["methods"] or [])
    if "status" in p and messages.raw(f"verdict.status.{p['status']}") is not None:
        p["status"] = messages.text(f"verdict.status.{p['status']}", lang)  # a ticket's state
    if "tiers" in p:
        p["tiers"] = ", ".join(p["tiers"] or []) or messages.text("boxoffice.none", lang)
    count = p.pop("left", None)
    return messages.text(f"boxoffice.{code}", lang, n=count, **p)


class NotFound(BoxOfficeError):
    pass


class CannotPay(BoxOfficeError):
    """The reservation is expired, cancelled or already paid."""


class PaymentProblem(BoxOfficeError):
    """Not enough cash, a missing reference, an amount that does not match."""


class SoldOut(BoxOfficeError):
    """A walk-up sale beyond this counter's allocation."""


class NotReady(BoxOfficeError):
    """No ticket list yet, or no certified issuing key on this counter."""


class NotASeller(BoxOfficeError):
    """A staff member whose role may not sell (a door person at the counter)."""


class BandProblem(BoxOfficeError):
    """A wristband that cannot be linked or revoked here (codes in ``BAND_TEXTS``)."""


# Wristband linking: the codes of every sentence the counter may show about a band; the
# words are the catalogue's ``boxoffice.<code>`` (core/messages), formatted with the params.
BAND_CODES = (
    "not_a_band",
    "no_such_ticket",
    "ticket_not_valid",
    "band_taken",
    "band_ambiguous",
    "band_not_linked",
    "band_linked",
    "band_already_linked",
    "band_revoked",
    "band_revoked_ticket_not_valid",  # the ticket's own state: never "still valid" when not
)


def band_error(code: str, **params: Any) -> BandProblem:
    return BandProblem(refusal_words(code, params), code, **params)


def band_done(
    link_id, action, kind, shown, ticket_id, number_shown, holder, code, /, **params
) -> BandLink:
    """A link or revocation done, its words (English in ``message``) by ``code``."""
    message = refusal_words(code, params)
    return BandLink(
        link_id, action, kind, shown, ticket_id, number_shown, holder, message, code, params
    )


@dataclass(frozen=True)
class BandLink:
    """A link (or revocation) recorded at this counter, waiting for the next sync."""

    link_id: str | None  # None: nothing changed (the band was already linked so)
    action: str  # link | revoke
    kind: str
    band: str  # as people read it: 04:A1:B2:C3, or the barcode text
    ticket_id: int
    number: str
    holder: str
    message: str  # English, as --json gives it; ``words(lang)`` for the person's language
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def words(self, lang: str = messages.SOURCE) -> str:
        return refusal_words(self.code, self.params, lang) if self.code else self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "link_id": self.link_id,
            "action": self.action,
            "kind": self.kind,
            "band": self.band,
            "ticket_id": self.ticket_id,
            "number": self.number,
            "holder": self.holder,
            "message": self.message,
        }


def parse_amount(text: str | int | float | Decimal) -> int:
    """'25', '25.5', '25.50' -> cents. Refuses negatives and fractions of a cent."""
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise PaymentProblem.because("not_an_amount", text=str(text)) from None
    if not value.is_finite() or value < 0:
        raise PaymentProblem.because("not_an_amount", text=str(text))
    cents = value * 100
    if cents != cents.to_integral_value():
        raise PaymentProblem.because("fraction_of_cent", text=str(text))
    return int(cents)


def money(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def money_words(cents: int | None, currency: str | None, lang: str = messages.SOURCE) -> str:
    """An amount for people: ``currency``'s sign, written as ``lang`` writes money."""
    return format_money(cents, currency, lang)


def _in(currency: str | None) -> dict[str, str]:
    """The ``currency`` parameter of a refusal about money, when the event has one."""
    return {"currency": currency} if currency else {}


def change_due(due_cents: int, tendered_cents: int, currency: str | None = None) -> int:
    """Change to hand back; raises PaymentProblem when the cash does not cover the amount."""
    if tendered_cents < due_cents:
        raise PaymentProblem.because(
            "cash_short",
            tendered_cents=tendered_cents,
            due_cents=due_cents,
            short_cents=due_cents - tendered_cents,
            **_in(currency),
        )
    return tendered_cents - due_cents


@dataclass(frozen=True)
class Item:
    tier_id: int
    tier: str
    qty: int
    price_cents: int


@dataclass(frozen=True)
class ReservationView:
    """A reservation as the counter shows it, with the status as of ``now``."""

    code: str
    holder: str
    phone: str
    items: tuple[Item, ...]
    amount_due_cents: int
    expires_at: float | None
    status: str  # active | paid | expired | cancelled (expired also when time ran out here)
    seconds_left: float | None
    sales: tuple[str, ...] = ()  # this counter's sales of it
    currency: str | None = None  # the event's ISO 4217 code (None: amounts without a sign)

    @property
    def payable(self) -> bool:
        return self.status == "active"

    @property
    def tickets(self) -> int:
        return sum(i.qty for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "holder": self.holder,
            "phone": self.phone,
            "items": [
                {"tier": i.tier, "tier_id": i.tier_id, "qty": i.qty, "price": money(i.price_cents)}
                for i in self.items
            ],
            "amount_due": money(self.amount_due_cents),
            "amount_due_cents": self.amount_due_cents,
            "expires_at": self.expires_at,
            "seconds_left": None if self.seconds_left is None else round(self.seconds_left),
            "status": self.status,
            "payable": self.payable,
            "currency": self.currency,
        }


@dataclass(frozen=True)
class IssuedTicket:
    ticket_id: int
    number: str
    tier_id: int
    tier: str
    holder: str
    code: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "number": self.number,
            "holder": self.holder,
            "tier": self.tier,
            "code": self.code,
        }


@dataclass(frozen=True)
class Sale:
    """A committed sale and the tickets to hand over."""

    sale_id: str
    kind: str
    reservation_code: str | None
    staff: str
    method: str
    amount_cents: int
    tendered_cents: int | None
    change_cents: int
    reference: str | None
    at: float
    event_name: str
    tickets: tuple[IssuedTicket, ...] = field(default_factory=tuple)
    currency: str | None = None  # the event's ISO 4217 code (None: amounts without a sign)
    holder: str = ""  # the reservation's holder, or the name typed for a walk-up

    @property
    def tendered_or_amount_cents(self) -> int:
        return self.amount_cents if self.tendered_cents is None else self.tendered_cents

    def to_dict(self) -> dict[str, Any]:
        return {
            "sale_id": self.sale_id,
            "kind": self.kind,
            "reservation": self.reservation_code,
            "staff": self.staff,
            "method": self.method,
            "amount": money(self.amount_cents),
            "amount_cents": self.amount_cents,
            "tendered": money(self.tendered_cents) or None,
            "change": money(self.change_cents),
            "reference": self.reference,
            "at": self.at,
            "event": self.event_name,
            "currency": self.currency,
            "tickets": [t.to_dict() for t in self.tickets],
        }


@dataclass(frozen=True)
class TierOffer:
    tier_id: int
    name: str
    price_cents: int
    left: int  # walk-up seats left on this counter's allocation
    currency: str | None = None


@dataclass(frozen=True)
class CashUpLine:
    staff: str
    method: str
    sales: int
    tickets: int
    amount_cents: int


@dataclass(frozen=True)
class CashUp:
    """End-of-shift totals per staff member and payment method."""

    lines: tuple[CashUpLine, ...]
    by_method: dict[str, int]  # method -> cents
    total_cents: int
    sales: int
    tickets: int
    cash_in_drawer_cents: int  # cash amounts (tendered minus change)
    pending_upload: int
    currency: str | None = None  # the event's: every amount above is in it

    # The window's table shows the first five; the CSV adds the currency every amount is in
    # (docs/boxoffice.md, "Cash-up"), so a spreadsheet never guesses it.
    TABLE_COLUMNS = ("staff", "method", "sales", "tickets", "amount")
    CSV_COLUMNS = (*TABLE_COLUMNS, "currency")

    def csv_rows(self) -> list[dict[str, Any]]:
        rows = [
            {
                "staff": ln.staff,
                "method": ln.method,
                "sales": ln.sales,
                "tickets": ln.tickets,
                "amount": money(ln.amount_cents),
            }
            for ln in self.lines
        ]
        for method, cents in self.by_method.items():
            rows.append(
                {
                    "staff": "ALL",
                    "method": method,
                    "sales": sum(ln.sales for ln in self.lines if ln.method == method),
                    "tickets": sum(ln.tickets for ln in self.lines if ln.method == method),
                    "amount": money(cents),
                }
            )
        rows.append(
            {
                "staff": "ALL",
                "method": "ALL",
                "sales": self.sales,
                "tickets": self.tickets,
                "amount": money(self.total_cents),
            }
        )
        for row in rows:
            row["currency"] = self.currency or ""
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": [
                {
                    "staff": ln.staff,
                    "method": ln.method,
                    "sales": ln.sales,
                    "tickets": ln.tickets,
                    "amount": money(ln.amount_cents),
                    "amount_cents": ln.amount_cents,
                }
                for ln in self.lines
            ],
            "by_method": {m: money(c) for m, c in self.by_method.items()},
            "total": money(self.total_cents),
            "total_cents": self.total_cents,
            "sales": self.sales,
            "tickets": self.tickets,
            "cash_in_drawer": money(self.cash_in_drawer_cents),
            "pending_upload": self.pending_upload,
            "currency": self.currency,
        }


class BoxOffice:
    """Sells for one counter. Thread-safe: one sale at a time, in order."""

    def __init__(
        self,
        store: Store,
        *,
        key_loader: Callable[[Store], SigningKey | None] = load_issuing_key,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.clock = clock
        self.roster = StaffRoster(store, clock)
        self._key_loader = key_loader
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Sale], None]] = []

    @classmethod
    def open(cls, db_path: Path, **kw: Any) -> BoxOffice:
        """The service over the kiosk store at ``db_path`` (the counter window's root)."""
        return cls(Store(db_path), **kw)

    def close(self) -> None:
        self.store.close()

    def on_sale(self, callback: Callable[[Sale], None]) -> None:
        """Called after every durable sale (the sync engine uploads it)."""
        self._listeners.append(callback)

    def now(self) -> float:
        """Server time as this counter best knows it: expiry is the server's clock."""
        return self.clock() + self.store.clock_offset()

    # -- staff -----------------------------------------------------------------------------
    def sellers(self) -> list[StaffMember]:
        """The active staff who may sell here; none means an open counter (no sign-in), as
        the window decides it (ui/box_office/window.py)."""
        return [m for m in self.roster.members() if m.role in SELLER_ROLES]

    def member_named(self, name: str) -> StaffMember | None:
        """The seller called ``name`` (case folded); None at an open counter. Raises
        NotOnStaff for a name the list does not hold (a disabled member included) and
        NotASeller for a door person: the CLI's ``--staff`` signs in as the window's page."""
        from app.door import NotOnStaff  # the door service's own refusal, one wording

        if not self.sellers():
            return None
        wanted = name.strip().casefold()
        for m in self.roster.members():
            if m.name.casefold() == wanted:
                if m.role not in SELLER_ROLES:
                    raise NotASeller.because("not_a_seller", name=m.name)
                return m
        raise NotOnStaff(name, [m.name for m in self.sellers()])

    def sign_in(self, staff_id: int, pin: str) -> StaffMember:
        """The member whose PIN this is; raises LockedOut or WrongPin, counted in the kiosk
        store with the door's tries (``app.staff.StaffRoster``)."""
        member = self.roster.verify(staff_id, pin)
        if member.role not in SELLER_ROLES:
            raise NotASeller.because("not_a_seller", name=member.name)
        return member

    # -- looking up ------------------------------------------------------------------------
    def event_name(self) -> str:
        ev = self.store.reference().event
        return ev["name"] if ev else ""

    def currency(self) -> str | None:
        """The event's ISO 4217 code from the signed list (None: amounts without a sign)."""
        ev = self.store.reference().event
        return currency_or_none(ev.get("currency")) if ev else None

    def find(self, query: str) -> list[ReservationView]:
        """Reservations by code, phone or holder name, from the local (synced) list."""
        self._ensure_ready()
        return [self._view(r) for r in sales_db.search_reservations(self.store, query)]

    def reservation(self, code: str) -> ReservationView:
        self._ensure_ready()
        clean = code.strip().upper().replace(" ", "").replace("-", "")
        row = sales_db.reservation_row(self.store, clean)
        if row is None:
            raise NotFound.because("reservation_not_found", reservation=clean)
        return self._view(row)

    def _view(self, row: dict[str, Any]) -> ReservationView:
        tiers = self._tiers()
        items = tuple(
            Item(
                int(i["tier"]),
                tiers.get(int(i["tier"]), (f"tier {i['tier']}", 0))[0],
                int(i["qty"]),
                tiers.get(int(i["tier"]), ("", 0))[1],
            )
            for i in row["items"]
        )
        my_sales = tuple(sales_db.sales_for_reservation(self.store, row["code"]))
        status = row["status"]
        left = None
        if row["expires_at"] is not None:
            left = float(row["expires_at"]) - self.now()
        if my_sales:
            status = "paid"  # paid here, whatever an older manifest row says
        elif status == "active" and left is not None and left <= 0:
            status = "expired"  # the server's sweep may not have reached us yet
        return ReservationView(
            code=row["code"],
            holder=row["holder"],
            phone=row["phone"],
            items=items,
            amount_due_cents=int(row["amount_due_cents"]),
            expires_at=row["expires_at"],
            status=status,
            seconds_left=left,
            sales=my_sales,
            currency=self.currency(),
        )

    def _tiers(self) -> dict[int, tuple[str, int]]:
        return self.store.tier_prices()

    def walkup_tiers(self) -> list[TierOffer]:
        """Tiers with this counter's walk-up seats left (0 when it has no allocation)."""
        self._ensure_ready()
        currency = self.currency()
        return [
            TierOffer(tid, name, price, sales_db.allocation_left(self.store, tid), currency)
            for tid, (name, price) in sorted(self._tiers().items())
        ]

    def tier(self, name_or_id: str | int) -> TierOffer:
        text = str(name_or_id).strip()
        for offer in self.walkup_tiers():
            if text == str(offer.tier_id) or text.casefold() == offer.name.casefold():
                return offer
        raise NotFound.because(
            "no_such_tier", tier=text, tiers=[o.name for o in self.walkup_tiers()]
        )

    # -- selling ---------------------------------------------------------------------------
    def pay(
        self,
        code: str,
        *,
        method: str,
        staff: str,
        tendered_cents: int | None = None,
        amount_cents: int | None = None,
        reference: str | None = None,
    ) -> Sale:
        """Take payment for a reservation and issue its tickets (one per seat)."""
        with self._lock:
            res = self.reservation(code)
            if res.status == "expired":
                raise CannotPay.because("reservation_expired", reservation=res.code)
            if res.status == "cancelled":
                raise CannotPay.because("reservation_cancelled", reservation=res.code)
            if res.status == "paid":
                raise CannotPay.because("reservation_paid", reservation=res.code)
            tickets = [(item.tier_id, res.holder) for item in res.items for _ in range(item.qty)]
            return self._sell(
                "reservation",
                tickets,
                due=res.amount_due_cents,
                method=method,
                staff=staff,
                tendered_cents=tendered_cents,
                amount_cents=amount_cents,
                reference=reference,
                reservation=res.code,
            )

    def sell(
        self,
        tier: str | int,
        qty: int,
        *,
        method: str,
        staff: str,
        holder: str = "",
        tendered_cents: int | None = None,
        amount_cents: int | None = None,
        reference: str | None = None,
    ) -> Sale:
        """A walk-up sale within this counter's allocation."""
        with self._lock:
            offer = self.tier(tier)
            if not 1 <= qty <= 100:
                raise PaymentProblem.because("quantity_range", low=1, high=100)
            if qty > offer.left:
                raise self._sold_out(offer, qty)
            return self._sell(
                "walkup",
                [(offer.tier_id, holder.strip())] * qty,
                due=offer.price_cents * qty,
                method=method,
                staff=staff,
                tendered_cents=tendered_cents,
                amount_cents=amount_cents,
                reference=reference,
            )

    @staticmethod
    def _sold_out(offer: TierOffer, qty: int) -> SoldOut:
        if offer.left == 0:
            return SoldOut.because("allocation_used_up", tier=offer.name, asked=qty)
        return SoldOut.because("allocation_short", tier=offer.name, left=offer.left, asked=qty)

    def _sell(
        self,
        kind: str,
        tickets: list[tuple[int, str]],
        *,
        due: int,
        method: str,
        staff: str,
        tendered_cents: int | None,
        amount_cents: int | None,
        reference: str | None,
        reservation: str | None = None,
    ) -> Sale:
        staff = (staff or "").strip()
        if not staff:
            raise PaymentProblem.because("no_staff")
        method = (method or "").strip().lower()
        if method not in METHODS:
            raise PaymentProblem.because("unknown_method", method=method, methods=list(METHODS))
        reference = (reference or "").strip() or None
        currency = self.currency()
        change = 0
        if method == "cash":
            tendered = due if tendered_cents is None else tendered_cents
            change = change_due(due, tendered, currency)
        else:
            tendered = None
            if amount_cents is not None and amount_cents != due:
                raise PaymentProblem.because(
                    "amount_mismatch",
                    method=method,
                    amount_cents=amount_cents,
                    due_cents=due,
                    **_in(currency),
                )
            if method == "other" and not reference:
                raise PaymentProblem.because("reference_needed")
        key = self._issuing_key()
        event = self.store.reference().event
        now = self.clock()
        names = self._tiers()
        issued = []
        for tier_id, holder in tickets:
            tid = secrets.randbelow(MAX_TICKET_ID) + 1
            code = credentials.issue(key, event_id=event["id"], tier_id=tier_id, ticket_id=tid)
            issued.append(
                IssuedTicket(
                    tid,
                    ticket_number(tid),
                    tier_id,
                    names.get(tier_id, ("", 0))[0],
                    holder,
                    code,
                )
            )
        record = SaleRecord(
            sale_id=str(uuid.uuid4()),
            kind=kind,
            device_id=self.store.device_id(),
            staff=staff,
            method=method,
            amount_cents=due,
            at=now,
            clock_offset=self.store.clock_offset(),
            reservation_code=reservation,
            tendered_cents=tendered,
            change_cents=change,
            reference=reference,
            tickets=tuple(SoldTicket(t.ticket_id, t.tier_id, t.holder, t.code) for t in issued),
        )
        try:
            sales_db.record_sale(self.store, record, event["id"])  # durable before hand-over
        except AllocationExceeded as exc:
            offer = TierOffer(exc.tier_id, names.get(exc.tier_id, ("", 0))[0], 0, exc.left)
            raise self._sold_out(offer, len(tickets)) from None
        sale = Sale(
            sale_id=record.sale_id,
            kind=kind,
            reservation_code=reservation,
            staff=staff,
            method=method,
            amount_cents=due,
            tendered_cents=tendered,
            change_cents=change,
            reference=reference,
            at=now,
            event_name=event["name"],
            tickets=tuple(issued),
            currency=currency,
            holder=tickets[0][1] if tickets else "",
        )
        for callback in self._listeners:
            try:
                callback(sale)
            except Exception:  # a broken listener must never cost a sale
                import logging

                logging.getLogger(__name__).exception("sale listener failed")
        return sale

    def sale(self, sale_id: str) -> Sale | None:
        """A past sale with its tickets (to print them again)."""
        record = sales_db.sale(self.store, sale_id)
        if record is None:
            return None
        names = self._tiers()
        return Sale(
            sale_id=record.sale_id,
            kind=record.kind,
            reservation_code=record.reservation_code,
            staff=record.staff,
            method=record.method,
            amount_cents=record.amount_cents,
            tendered_cents=record.tendered_cents,
            change_cents=record.change_cents,
            reference=record.reference,
            at=record.at,
            event_name=self.event_name(),
            currency=self.currency(),
            holder=record.tickets[0].holder if record.tickets else "",
            tickets=tuple(
                IssuedTicket(
                    t.ticket_id,
                    ticket_number(t.ticket_id),
                    t.tier_id,
                    names.get(t.tier_id, ("", 0))[0],
                    t.holder,
                    t.code,
                )
                for t in record.tickets
            ),
        )

    # -- cash-up ---------------------------------------------------------------------------
    def cashup(self, *, staff: str | None = None, since: float | None = None) -> CashUp:
        """Totals per staff member and payment method for this counter's sales."""
        groups: dict[tuple[str, str], list[int]] = {}
        by_method: dict[str, int] = {}
        cash = 0
        records = sales_db.sales(self.store, staff=staff, since=since)
        for r in records:
            g = groups.setdefault((r.staff, r.method), [0, 0, 0])
            g[0] += 1
            g[1] += len(r.tickets)
            g[2] += r.amount_cents
            by_method[r.method] = by_method.get(r.method, 0) + r.amount_cents
            if r.method == "cash":
                cash += (r.tendered_cents or r.amount_cents) - r.change_cents
        lines = tuple(
            CashUpLine(s, m, n, t, a)
            for (s, m), (n, t, a) in sorted(
                groups.items(),
                key=lambda kv: (
                    kv[0][0].casefold(),
                    METHODS.index(kv[0][1]) if kv[0][1] in METHODS else 9,
                ),
            )
        )
        return CashUp(
            lines=lines,
            by_method={m: by_method[m] for m in METHODS if m in by_method},
            total_cents=sum(by_method.values()),
            sales=len(records),
            tickets=sum(len(r.tickets) for r in records),
            cash_in_drawer_cents=cash,
            pending_upload=sales_db.pending_sales(self.store),
            currency=self.currency(),
        )

    # -- wristbands ------------------------------------------------------------------------
    def ticket_for(self, text: str):
        """The ticket a scanned code, a foreign barcode or a typed ticket number names."""
        self._ensure_ready()
        text = text.strip("\r\n\t ")
        decoded = credentials.verify(text, self.store.reference().ticket_keys)
        ticket_id = decoded.credential.ticket_id if decoded.ok else None
        if ticket_id is None:
            ticket_id = credentials.parse_ticket_number(text) if len(text) >= 13 else None
        ticket = self.store.ticket(ticket_id) if ticket_id is not None else None
        if ticket is None and text:
            ticket = self.store.ticket_by_barcode(credentials.code_hash(text))
        if ticket is None:
            raise band_error("no_such_ticket", ticket=text[:40])
        return ticket

    def _band(
        self, text: str, kind: str, fmt: str, *, linking: bool = False
    ) -> tuple[str, list[bytes]]:
        try:
            value = normalise(kind, text, fmt, linking=linking)
        except AmbiguousUid:
            raise band_error("band_ambiguous", band=text.strip()[:40]) from None
        except MediumProblem:
            raise band_error("not_a_band", text=text.strip()[:40]) from None
        forms = same_band(text, fmt) if kind == NFC else [value]
        return value, [medium_hash(kind, f) for f in forms]

    def link_band(
        self,
        ticket_text: str,
        band_text: str,
        *,
        staff: str | None = None,
        kind: str = NFC,
        fmt: str = "auto",
    ) -> BandLink:
        """Scan the ticket, tap the band: linked here at once, uploaded with the next sync.

        Refused in words when the band is another ticket's on this counter's list (the
        server checks again for the whole event when the link arrives)."""
        ticket = self.ticket_for(ticket_text)
        value, hashes = self._band(band_text, kind, fmt)
        number = ticket_number(ticket.ticket_id)
        shown = display_uid(value) if kind == NFC else value
        holder = f" ({ticket.holder})" if ticket.holder else ""
        if ticket.status != "valid":
            raise band_error("ticket_not_valid", number=number, status=ticket.status)
        with self._lock:
            taken = media_db.taken(self.store, hashes, ticket.ticket_id)
            if taken is not None:
                other = f" ({taken.holder})" if taken.holder else ""
                raise band_error(
                    "band_taken", band=shown, number=ticket_number(taken.ticket_id), holder=other
                )
            mine = any(
                (rec := self.store.medium(h)) is not None
                and rec.status == ACTIVE
                and rec.ticket_id == ticket.ticket_id
                for h in hashes
            )
            if mine:
                return band_done(
                    None,
                    "link",
                    kind,
                    shown,
                    ticket.ticket_id,
                    number,
                    ticket.holder,
                    "band_already_linked",
                    band=shown,
                    number=number,
                )
            # stored under one reading: digits that could be hex or decimal are refused here,
            # after the checks above, which tried every reading (core.media.link_uid)
            self._band(band_text, kind, fmt, linking=True)
            link_id = media_db.record_link(
                self.store,
                action="link",
                kind=kind,
                uid=value,
                ticket_id=ticket.ticket_id,
                staff=staff,
                at=self.clock(),
                event_id=ticket.event_id,
            )
        return band_done(
            link_id,
            "link",
            kind,
            shown,
            ticket.ticket_id,
            number,
            ticket.holder,
            "band_linked",
            band=shown,
            number=number,
            holder=holder,
        )

    def revoke_band(
        self, band_text: str, *, staff: str | None = None, kind: str = NFC, fmt="auto"
    ) -> BandLink:
        """A lost band stops opening the door; its ticket (and its other bands) do not."""
        self._ensure_ready()
        value, hashes = self._band(band_text, kind, fmt)
        shown = display_uid(value) if kind == NFC else value
        with self._lock:
            found = [r for h in hashes if (r := self.store.medium(h)) is not None]
            active = [r for r in found if r.status == ACTIVE]
            if not active:
                raise band_error("band_not_linked", band=shown)
            ticket = self.store.ticket(active[0].ticket_id)
            link_id = media_db.record_link(
                self.store,
                action="revoke",
                kind=kind,
                uid=value,
                ticket_id=active[0].ticket_id,
                staff=staff,
                at=self.clock(),
                event_id=ticket.event_id if ticket else 0,
                revoke_hashes=[r.medium_hash for r in active],
            )
        number = ticket_number(active[0].ticket_id)
        status = ticket.status if ticket else None
        still_valid = status in (None, "valid")
        return band_done(
            link_id,
            "revoke",
            kind,
            shown,
            active[0].ticket_id,
            number,
            ticket.holder if ticket else "",
            "band_revoked" if still_valid else "band_revoked_ticket_not_valid",
            band=shown,
            number=number,
            **({} if still_valid else {"status": status}),
        )

    def refused_bands(self) -> list[tuple[str, str]]:
        """(band, the server's words) for links the server refused after they were made."""
        return media_db.refused_links(self.store)

    # -- readiness -------------------------------------------------------------------------
    def _ensure_ready(self) -> None:
        if self.store.reference().event is None:
            raise NotReady.because("no_ticket_list")

    def _issuing_key(self) -> SigningKey:
        """This counter's key, and only if the manifest certifies it as active."""
        self._ensure_ready()
        key = self._key_loader(self.store)
        if key is None:
            raise NotReady.because("no_issuing_key")
        row = self.store.key_standing(key.kid)
        if row is None or row[0] != "box_office":
            raise NotReady.because("key_not_certified")
        if row[1] != "active":
            raise NotReady.because("key_withdrawn")
        return key

    def issuing_ready(self) -> str | None:
        """None when this counter can issue tickets, else why not, in English."""
        problem = self.issuing_problem()
        return None if problem is None else str(problem)

    def issuing_problem(self) -> NotReady | None:
        """None when this counter can issue tickets, else the refusal (code + params)."""
        try:
            self._issuing_key()
        except NotReady as exc:
            return exc
        return None

    def counter_state(self) -> tuple[bool, str | None, NotReady | None]:
        """What the counter window opens on: paired or not, the event's name (None before
        the first ticket list) and why issuing is not possible yet (None when it is)."""
        paired = self.store.device_state().paired
        name = self.event_name()
        if not name and self.store.reference().event is None:
            return paired, None, None
        return paired, name, self.issuing_problem()


@contextmanager
def open_box_office(args: Any = None) -> Iterator[BoxOffice]:
    """The BoxOffice service for this kiosk's home folder (used by CLI commands)."""
    from app.settings import Settings

    settings = Settings.load()
    store = Store(settings.db_path)
    try:
        yield BoxOffice(store)
    finally:
        store.close()
