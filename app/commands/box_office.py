"""``gatehouse box-office find|pay|sell|cashup``: the box-office window's service, scripted.

Works offline like the window: reservations come from the synced list, tickets are signed
with this counter's issuing key. On an event with a staff list, ``--staff NAME`` signs the
seller in with their PIN (asked, or read from stdin) through the same check and lockout as
``gatehouse check --staff`` and the window; without a staff list the counter is open.
``--out DIR`` writes ``tickets.csv`` (ticket_id, holder, tier, code, plus the printed
number) and ``tickets.pdf`` (one printable ticket per page).
"""

from __future__ import annotations

import getpass
import json
import sys
import time
from pathlib import Path

from app.boxoffice import (
    METHODS,
    BoxOfficeError,
    CannotPay,
    NotFound,
    PaymentProblem,
    Sale,
    SoldOut,
    method_name,
    money_words,
    open_box_office,
    parse_amount,
)
from app.cli import CommandError, json_flag, kiosk_language
from app.commands.check import sign_in
from app.outputs import display_width, out_file, out_folder, pad
from core import messages
from core.csv_safe import write_csv

TICKET_COLUMNS = ("ticket_id", "holder", "tier", "code", "number")


def register(sub) -> None:
    p = sub.add_parser("box-office", help="box office: reservations, payments, walk-up sales")
    p.set_defaults(func=lambda _a: (p.print_help(sys.stderr), 2)[1])
    bsub = p.add_subparsers(metavar="ACTION")

    f = bsub.add_parser("find", help="find reservations by code, name or phone")
    f.add_argument("query")
    json_flag(f)
    f.set_defaults(func=find)

    pay = bsub.add_parser("pay", help="take payment for a reservation and issue its tickets")
    pay.add_argument("code", help="reservation code")
    _payment_args(pay)
    pay.set_defaults(func=pay_reservation)

    sell = bsub.add_parser("sell", help="sell walk-up tickets from this counter's allocation")
    sell.add_argument("--tier", required=True, help="tier name or id")
    sell.add_argument("--qty", type=int, default=1)
    sell.add_argument("--holder", default="", help="name to print on the tickets")
    _payment_args(sell)
    sell.set_defaults(func=sell_walkup)

    link = bsub.add_parser("link", help="link a wristband to a ticket (scan it, tap the band)")
    link.add_argument("ticket", help="the ticket's code, barcode or printed number")
    link.add_argument("band", help="the band's chip UID as the reader gives it")
    _band_args(link)
    link.set_defaults(func=link_band)

    lost = bsub.add_parser("revoke-band", help="a lost wristband stops working (not its ticket)")
    lost.add_argument("band", help="the band's chip UID as the reader gives it")
    _band_args(lost)
    lost.set_defaults(func=revoke_band)

    cash = bsub.add_parser("cashup", help="totals per staff member and payment method")
    cash.add_argument("--out", help="also write the report as CSV to this file")
    cash.add_argument("--staff", help="only this staff member's sales")
    json_flag(cash)
    cash.set_defaults(func=cashup)


def _payment_args(p) -> None:
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument(
        "--amount", help="cash: the amount tendered (change is worked out); others: the amount"
    )
    p.add_argument("--reference", help="card slip, UPI transaction id, voucher number...")
    p.add_argument(
        "--staff",
        help="who takes the payment; on an event with a staff list their PIN is asked (or"
        " read from stdin) as at the window's sign-in (default, open counter: the computer's"
        " user)",
    )
    p.add_argument("--out", help="folder for tickets.csv and tickets.pdf")
    json_flag(p)


def _lang() -> str:
    """The words' language: the one this kiosk is set to (``language`` in config.toml)."""
    return kiosk_language()


def _fail(exc: BoxOfficeError) -> int:
    print(f"gatehouse: {exc.words(_lang())}", file=sys.stderr)
    # A refusal of this sale (expired, sold out, short cash) is 1; anything else is 2.
    return 1 if isinstance(exc, CannotPay | SoldOut | PaymentProblem | NotFound) else 2


def find(args) -> int:
    try:
        with open_box_office(args) as bo:
            found = bo.find(args.query)
    except BoxOfficeError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps([r.to_dict() for r in found], ensure_ascii=False))
    elif not found:
        print(messages.text("boxoffice.no_match", _lang()))
    for r in [] if args.json else found:
        items = ", ".join(f"{i.qty} x {i.tier}" for i in r.items)
        left = ""
        if r.status == "active" and r.seconds_left is not None:
            left = f", {_duration(r.seconds_left)} left"
        due = money_words(r.amount_due_cents, r.currency, _lang())
        print(f"{r.code}  {r.holder}  {r.phone}  {items}  due {due}")
        print(f"        {r.status}{left}")
    return 0 if found else 1


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _money_args(args) -> dict:
    try:
        amount = None if args.amount is None else parse_amount(args.amount)
    except PaymentProblem as exc:
        raise CommandError(exc.words(_lang())) from None
    if args.method == "cash":
        return {"tendered_cents": amount}
    return {"amount_cents": amount}


def _staff(bo, name: str | None) -> str:
    """Who sells: on a counter with a staff list, ``--staff NAME`` signed in with their PIN
    exactly as ``gatehouse check --staff`` and the window's sign-in page (same lockout,
    disabled members and door staff refused); on an open counter the name as given, or
    the computer's user."""
    if name:
        return sign_in(bo, name)
    if bo.sellers():
        raise CommandError(messages.text("cli.box_office_staff_needed", _lang()))
    return _user()


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still name somebody
        return "box office"


def pay_reservation(args) -> int:
    money_kw = _money_args(args)
    if args.out:
        out_folder(args.out)  # refused in words before any money is recorded
    try:
        with open_box_office(args) as bo:
            staff = _staff(bo, args.staff)
            sale = bo.pay(
                args.code, method=args.method, reference=args.reference, staff=staff, **money_kw
            )
    except BoxOfficeError as exc:
        return _fail(exc)
    return _hand_over(args, sale)


def sell_walkup(args) -> int:
    money_kw = _money_args(args)
    if args.out:
        out_folder(args.out)  # refused in words before any money is recorded
    try:
        with open_box_office(args) as bo:
            sale = bo.sell(
                args.tier,
                args.qty,
                method=args.method,
                staff=_staff(bo, args.staff),
                holder=args.holder,
                reference=args.reference,
                **money_kw,
            )
    except BoxOfficeError as exc:
        return _fail(exc)
    return _hand_over(args, sale)


def _hand_over(args, sale: Sale) -> int:
    """Print the sale; with --out write tickets.csv and tickets.pdf. The sale is already
    committed: a file that cannot be written is reported, the tickets can be printed again."""
    data = sale.to_dict()
    lang = _lang()
    if args.out:
        out = Path(args.out)
        try:
            write_tickets_csv(out / "tickets.csv", sale)
        except OSError as exc:
            raise CommandError(
                messages.text("cli.cannot_write_sale", lang, path=out, problem=exc.strerror)
            ) from None
        try:
            from ui.box_office.printing import write_pdf
        except ImportError as exc:  # a server-only install has no Qt
            print("gatehouse: " + messages.text("cli.no_pdf", lang, problem=exc), file=sys.stderr)
        else:
            write_pdf(out / "tickets.pdf", [sale])
            data["pdf"] = str(out / "tickets.pdf")
        data["csv"] = str(out / "tickets.csv")
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    line = {
        "amount": money_words(sale.amount_cents, sale.currency, lang),
        "method": method_name(sale.method, lang),
        "tickets": messages.text("cli.tickets", lang, n=len(sale.tickets)),
    }
    if sale.reservation_code:
        print(
            messages.text("cli.sale_reservation", lang, reservation=sale.reservation_code, **line)
        )
    else:
        print(messages.text("cli.sale_walkup", lang, **line))
    if sale.method == "cash":
        cur = sale.currency
        tendered = money_words(sale.tendered_cents, cur, lang)
        change = money_words(sale.change_cents, cur, lang)
        print(messages.text("cli.cash_and_change", lang, tendered=tendered, change=change))
    for t in sale.tickets:
        print(f"  {t.number}  {pad(t.tier, 12)} {t.holder}")
    if args.out:
        if "pdf" in data:
            print(messages.text("cli.wrote_two", lang, path=data["csv"], other=data["pdf"]))
        else:
            print(messages.text("cli.wrote", lang, path=data["csv"]))
    return 0


def write_tickets_csv(path: Path, sale: Sale) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        write_csv(
            fh,
            TICKET_COLUMNS,
            ((t.ticket_id, t.holder, t.tier, t.code, t.number) for t in sale.tickets),
        )


def cashup(args) -> int:
    path = out_file(args.out) if args.out else None
    try:
        with open_box_office(args) as bo:
            report = bo.cashup(staff=args.staff)
    except BoxOfficeError as exc:
        return _fail(exc)
    if path is not None:
        try:
            with path.open("w", newline="", encoding="utf-8") as fh:
                write_csv(fh, report.CSV_COLUMNS, report.csv_rows())
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from None
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return 0
    lang = _lang()

    def money(cents: int) -> str:  # the cash-up in the event's currency, as the counter shows
        return money_words(cents, report.currency, lang)

    print(messages.text("cli.cashup", lang, time=time.strftime("%Y-%m-%d %H:%M")))
    rows = [
        (
            ln.staff,
            method_name(ln.method, lang),
            messages.text(
                "cli.cashup_line", lang, sales=f"{ln.sales:>4}", tickets=f"{ln.tickets:>4}"
            ),
            money(ln.amount_cents),
        )
        for ln in report.lines
    ]
    everyone = messages.text("cli.all_staff", lang)
    rows += [(everyone, method_name(m, lang), "", money(c)) for m, c in report.by_method.items()]
    # Columns as wide as their widest text in terminal columns (a name in Japanese, German's
    # "gesamtes Personal"): the amounts stay in one column in every language.
    widths = [max([least, *(display_width(r[i]) for r in rows)]) for i, least in ((0, 16), (1, 6))]
    counts_w = max([0, *(display_width(r[2]) for r in rows)])
    for staff, method, counts, amount in rows:
        print(
            f"  {pad(staff, widths[0])} {pad(method, widths[1])} {pad(counts, counts_w)}"
            f" {pad(amount, 10, '>')}"
        )
    drawer = money(report.cash_in_drawer_cents)
    print(
        "  "
        + messages.text("cli.cashup_total", lang, total=money(report.total_cents), drawer=drawer)
    )
    if report.pending_upload:
        print("  " + messages.text("boxoffice.not_uploaded", _lang(), n=report.pending_upload))
    if args.out:
        print(messages.text("cli.wrote", lang, path=args.out))
    return 0


# -- wristbands (issue 17) ----------------------------------------------------------------
def _band_args(p) -> None:
    p.add_argument("--barcode", action="store_true", help="a printed wristband barcode")
    p.add_argument(
        "--format",
        choices=["auto", "hex", "hex-reversed", "decimal", "decimal-reversed"],
        default="auto",
        help="how the reader writes a UID (default: try each)",
    )
    p.add_argument(
        "--staff",
        help="who links it; on an event with a staff list their PIN is asked (or read from"
        " stdin) (default, open counter: the computer's user)",
    )
    json_flag(p)


def link_band(args) -> int:
    kind = "barcode" if args.barcode else "nfc"
    with open_box_office(args) as box:
        try:
            staff = _staff(box, args.staff)
            done = box.link_band(args.ticket, args.band, staff=staff, kind=kind, fmt=args.format)
        except BoxOfficeError as exc:
            print(f"gatehouse: {exc.words(_lang())}", file=sys.stderr)
            # refused by the lists: 1, as admin media link (DESIGN section 9); 2 is usage
            return 1 if exc.code in ("band_taken", "ticket_not_valid", "no_such_ticket") else 2
    print(json.dumps(done.to_dict()) if args.json else done.words(_lang()))
    return 0


def revoke_band(args) -> int:
    kind = "barcode" if args.barcode else "nfc"
    with open_box_office(args) as box:
        try:
            staff = _staff(box, args.staff)
            done = box.revoke_band(args.band, staff=staff, kind=kind, fmt=args.format)
        except BoxOfficeError as exc:
            print(f"gatehouse: {exc.words(_lang())}", file=sys.stderr)
            return 1 if exc.code == "band_not_linked" else 2
    print(json.dumps(done.to_dict()) if args.json else done.words(_lang()))
    return 0
