"""The BoxOffice service without a server: money parsing, refusals, durable append-only sales."""

from __future__ import annotations

import sqlite3

import pytest

from app.boxoffice import (
    BoxOffice,
    CannotPay,
    NotReady,
    PaymentProblem,
    SoldOut,
    change_due,
    money,
    parse_amount,
)
from app.settings import Settings
from local_db.store import Store
from tests.boxoffice.local import load_counter, make_counter_event


@pytest.fixture(scope="module")
def fx():
    return make_counter_event()


@pytest.fixture
def box(gatehouse_home, fx):
    load_counter(gatehouse_home, fx, allocation=2)
    store = Store(Settings.load(gatehouse_home).db_path)
    yield BoxOffice(store)
    store.close()


def test_amounts_and_change():
    assert [parse_amount(t) for t in ("25", "25.5", "25,50", " 0.05 ")] == [2500, 2550, 2550, 5]
    for bad in ("-1", "abc", "1.005", "nan"):
        with pytest.raises(PaymentProblem):
            parse_amount(bad)
    assert change_due(5000, 6050) == 1050 and money(1050) == "10.50"
    with pytest.raises(PaymentProblem, match=r"40.00\) is less than the amount due \(50.00\)"):
        change_due(5000, 4000)


def test_payment_refusals_name_the_problem(box, fx):
    code = fx.codes["Asha Rao"]
    with pytest.raises(PaymentProblem, match="must be the amount due"):
        box.pay(code, method="card", staff="Meera", amount_cents=100)
    with pytest.raises(PaymentProblem, match="reference"):
        box.pay(code, method="other", staff="Meera")
    with pytest.raises(PaymentProblem, match="names its staff"):
        box.pay(code, method="card", staff=" ")
    with pytest.raises(PaymentProblem, match="less than the amount due"):
        box.pay(code, method="cash", staff="Meera", tendered_cents=10)
    assert box.cashup().sales == 0  # nothing half-recorded
    assert box.reservation(code).status == "active"


def test_refusals_carry_a_code_and_plain_parameters_beside_the_english(box, fx):
    """The window words refusals from code + params; the CLI keeps printing the sentence."""
    with pytest.raises(SoldOut) as short:
        box.sell("General", 3, method="cash", staff="Meera")
    assert str(short.value) == (
        "Only 2 walk-up General ticket(s) left on this counter (asked for 3): sell fewer,"
        " or sync to get more"
    )
    assert short.value.code == "allocation_short"
    assert short.value.params == {"tier": "General", "left": 2, "asked": 3}
    with pytest.raises(PaymentProblem) as cash:
        box.pay(fx.codes["Asha Rao"], method="cash", staff="Meera", tendered_cents=4000)
    assert (cash.value.code, cash.value.params) == (
        "cash_short",
        {"tendered_cents": 4000, "due_cents": 5000, "short_cents": 1000},
    )
    with pytest.raises(CannotPay) as expired:
        box.pay(fx.codes["Chen Wei"], method="card", staff="Meera")
    assert (expired.value.code, expired.value.params) == (
        "reservation_expired",
        {"reservation": fx.codes["Chen Wei"]},
    )
    assert box.issuing_problem() is None and box.issuing_ready() is None
    keyless = BoxOffice(box.store, key_loader=lambda _store: None)
    assert keyless.issuing_problem().code == "no_issuing_key"
    assert keyless.issuing_ready() == str(keyless.issuing_problem())


def test_sales_are_append_only_and_a_keyless_counter_cannot_issue(box, fx, tmp_path):
    sale = box.pay(fx.codes["Bilal Khan"], method="upi", staff="Meera", reference="UPI-1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        box.store.writer.execute(
            "UPDATE sales SET amount_cents = 1 WHERE sale_id = ?", (sale.sale_id,)
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        box.store.writer.execute("DELETE FROM sale_tickets")
    again = box.sale(sale.sale_id)
    assert [t.code for t in again.tickets] == [t.code for t in sale.tickets]
    keyless = BoxOffice(box.store, key_loader=lambda _store: None)
    with pytest.raises(NotReady, match="no issuing key"):
        keyless.sell("General", 1, method="cash", staff="Meera")
