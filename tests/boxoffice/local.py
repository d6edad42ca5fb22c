"""A box office prepared without a server: a real signed manifest that certifies this
counter's issuing key, reservations and staff, the key file, and a walk-up allocation."""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.settings import Settings
from core.keys import SigningKey
from core.pins import hash_pin
from local_db import sales as sales_db
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from sync.box_office import key_path
from tests.factories import EventFixture

SELLER_PIN = "135791"
DEVICE = "5e1f0a3c-0000-4000-8000-00000000b0c5"


@dataclass
class CounterFixture:
    event: EventFixture
    key: SigningKey
    codes: dict[str, str] = field(default_factory=dict)  # name -> reservation code

    def door_store(self, folder: Path) -> Store:
        """A door kiosk that synced the same manifest (so it knows the counter's key)."""
        store = Store(folder / "door" / "kiosk.sqlite")
        apply_stream(store, io.BytesIO(self.event.page()), first_use=True)
        store.set_meta("gate", "Main")
        return store


def make_counter_event(now: float | None = None) -> CounterFixture:
    now = now or time.time()
    ev = EventFixture()
    ev.add(type="tier", id=1, event=ev.event_id, name="General", price_cents=2500, entry="single")
    ev.add(type="tier", id=2, event=ev.event_id, name="VIP", price_cents=9000, entry="reentry")
    key = SigningKey.generate()
    ev.add(
        type="key",
        kid=key.kid.hex(),
        public_key=key.public.raw.hex(),
        purpose="box_office",
        device=DEVICE,
        status="active",
    )
    fx = CounterFixture(ev, key)
    for name, code, items, due, phone, expires in (
        ("Asha Rao", "K7QX2M", [{"tier": 1, "qty": 2}], 5000, "+91 98450 12345", now + 5 * 3600),
        ("Bilal Khan", "P3WZ9R", [{"tier": 2, "qty": 1}], 9000, "020 7946 0958", now + 3600),
        ("Chen Wei", "EXP7HN", [{"tier": 1, "qty": 1}], 2500, "555 0100", now - 60),
    ):
        ev.add(
            type="reservation",
            code=code,
            event=ev.event_id,
            items=items,
            amount_due_cents=due,
            holder=name,
            phone=phone,
            expires_at=expires,
            status="active",
        )
        fx.codes[name] = code
    ev.add(
        type="staff",
        id=11,
        event=ev.event_id,
        name="Meera",
        role="box-office",
        pin_hash=hash_pin(SELLER_PIN),
    )
    return fx


def load_counter(home: Path, fx: CounterFixture, *, allocation: int = 5) -> None:
    """Write the manifest, the key file (0600) and the allocation into a kiosk home."""
    with Store(Settings.load(home).db_path) as store:
        apply_stream(store, io.BytesIO(fx.event.page()), first_use=True)
        store.set_meta("role", "box-office")
        store.set_meta("device_id", DEVICE)
        path = key_path(store)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(fx.key.raw().hex())
        sales_db.set_allocations(store, [{"tier": 1, "granted": allocation}], time.time())
