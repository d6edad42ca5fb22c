"""Box-office routes: a counter's issuing key and sale upload (device token); walk-up
allocations, the sales list and their flags (organizer token). Logic in ``server/sales.py``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from server import catalog
from server import sales as box_office
from server.deps import DbDep, DeviceDep, OrganizerDep, SettingsDep
from server.errors import ApiError
from server.fields import MAX_TICKET_ID, EventPath, Id32

router = APIRouter(tags=["box office"])

MAX_SALES = 200
_NO_NUL = r"^[^\x00]*$"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DevicePath = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9a-fA-F-]+$")]
Cents = Annotated[int, Field(ge=0, le=10**12)]


class KeyIn(BaseModel):
    public_key: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="Ed25519 public key, hex")


class SoldTicketIn(BaseModel):
    ticket_id: int = Field(ge=1, le=MAX_TICKET_ID)
    tier: Id32
    holder: str = Field("", max_length=200, pattern=_NO_NUL)
    code: str = Field(min_length=1, max_length=512, pattern=r"^[0-9A-Z $%*+\-./:]+$")


class SaleIn(BaseModel):
    """One sale, wire form of ``local_db.sales.SaleRecord``."""

    sale_id: str = Field(pattern=_UUID)
    kind: Literal["reservation", "walkup"]
    device_id: str = Field(min_length=1, max_length=64, pattern=_NO_NUL)
    staff: str = Field(min_length=1, max_length=200, pattern=_NO_NUL)
    method: Literal["cash", "card", "upi", "other"]
    amount_cents: Cents
    at: float = Field(ge=0, le=2**33, allow_inf_nan=False)
    clock_offset: float = Field(0.0, ge=-(10**8), le=10**8, allow_inf_nan=False)
    reservation_code: str | None = Field(None, max_length=6, pattern=r"^[A-Z0-9]*$")
    tendered_cents: Cents | None = None
    change_cents: Cents = 0
    reference: str | None = Field(None, max_length=200, pattern=_NO_NUL)
    tickets: list[SoldTicketIn] = Field(min_length=1, max_length=1000)


class SaleBatch(BaseModel):
    sales: list[SaleIn] = Field(max_length=MAX_SALES)


class AllocationIn(BaseModel):
    tier: Id32
    seats: int = Field(ge=0, le=100_000, description="walk-up seats to keep on the device")


@router.post("/v1/device/box-office-key", tags=["device"])
def register_key(body: KeyIn, device: DeviceDep, db: DbDep, settings: SettingsDep) -> dict:
    """A box office certifies its issuing key (made on the device; only the public half)."""
    with db.write() as conn:
        return box_office.register_key(conn, device, body.public_key.lower(), settings.now())


@router.post("/v1/device/sales", tags=["device"])
def upload_sales(batch: SaleBatch, device: DeviceDep, db: DbDep, settings: SettingsDep) -> dict:
    """Sales made at the counter (idempotent by sale_id); the answer carries the allocation."""
    if device.role != box_office.BOX_OFFICE:
        raise ApiError(403, "forbidden", "Only box-office devices upload sales")
    now = settings.now()
    data = [s.model_dump() for s in batch.sales]
    for s in data:
        s["sale_id"] = s["sale_id"].lower()
    with db.write() as conn:
        result = box_office.ingest(conn, device=device, batch=data, now=now) if data else {}
        box_office.top_up(conn, device.id, now)
        grants = box_office.device_grants(conn, device.id)
    return {
        "accepted": result.get("accepted", []),
        "duplicates": result.get("duplicates", []),
        "refused": result.get("refused", []),
        "allocations": grants,
        "server_time": now,
    }


@router.put("/v1/devices/{device_id}/allocation", tags=["devices"])
def set_allocation(
    device_id: DevicePath, body: AllocationIn, _: OrganizerDep, db: DbDep, settings: SettingsDep
) -> list[dict]:
    """How many walk-up seats of a tier a box office may sell offline (topped up at sync)."""
    with db.write() as conn:
        return box_office.set_allocation(conn, device_id, body.tier, body.seats, settings.now())


@router.get("/v1/devices/{device_id}/allocation", tags=["devices"])
def get_allocation(device_id: DevicePath, _: OrganizerDep, db: DbDep) -> list[dict]:
    with db.read() as conn:
        return box_office.allocation_out(conn, device_id.lower())


@router.get("/v1/events/{event_id}/sales", tags=["box office"])
def list_sales(event_id: EventPath, _: OrganizerDep, db: DbDep) -> list[dict]:
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        return box_office.sale_list(conn, event_id)


@router.get("/v1/events/{event_id}/sales/flags", tags=["box office"])
def list_flags(event_id: EventPath, _: OrganizerDep, db: DbDep) -> list[dict]:
    """Sales reconciliation found odd: paid twice, after expiry, beyond an allocation."""
    with db.read() as conn:
        catalog.get_event(conn, event_id)
        return box_office.flag_list(conn, event_id)
