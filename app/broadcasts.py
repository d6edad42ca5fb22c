"""The organizer's broadcasts at a kiosk, for the door and the counter windows alike.

``BroadcastDesk`` answers what the banner shows (the messages open on this kiosk, oldest
first) and records an acknowledgement: any staff member for info and warning, a supervisor
(PIN checked by ``app.staff.StaffRoster``) for an emergency, which stops admissions at the
door until then (``app.door.DoorService``). The acknowledgement is committed before the
banner goes away and uploaded by the sync engine (``sync.broadcasts``). Plain Python: the
windows call it on their writer thread, tests directly. Every acknowledgement is written to
the kiosk log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from app.staff import StaffMember, StaffRoster
from local_db import broadcasts as db
from local_db.broadcasts import Ack, Broadcast
from local_db.store import Store

log = logging.getLogger(__name__)

# The words this module raises (for the message catalogue).
NOT_HERE = "That message is no longer on this kiosk."
NEEDS_SUPERVISOR = "An emergency message must be acknowledged by a supervisor."


class BroadcastDesk:
    def __init__(
        self,
        store: Store,
        roster: StaffRoster | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.roster = roster or StaffRoster(store, clock)
        self.clock = clock

    def open(self) -> list[Broadcast]:
        """The messages still to acknowledge here, oldest first."""
        return db.open_broadcasts(self.store)

    def emergency(self) -> Broadcast | None:
        """The emergency that stops admissions here, if one is open."""
        return db.emergency_stop(self.store)

    def no_supervisor_on_list(self) -> bool:
        """True when the staff list names no supervisor at all, disabled ones included: only
        then may anyone acknowledge an emergency (role ``no-supervisor``). A list whose
        supervisors are all disabled keeps the door shut until a supervisor is enabled again
        or the organizer ends the broadcast (docs/ui.md, "Broadcasts")."""
        return not db.any_supervisor(self.store)

    def acknowledge(self, broadcast_id: int, member: StaffMember | None) -> Ack:
        """Record that ``member`` (None: nobody signed in, an open door) read the message."""
        item = db.broadcast(self.store, broadcast_id)
        if item is None:
            raise ValueError(NOT_HERE)
        done = db.closing_ack(self.store, item)
        if done is not None:
            return done  # already closed here: one acknowledgement per kiosk, not one per key
        role = member.role if member is not None else None
        if item.level == "emergency" and not (member is not None and member.is_supervisor):
            if not self.no_supervisor_on_list():
                raise ValueError(NEEDS_SUPERVISOR)
            role = "no-supervisor"  # nobody on the list could: the door must not stay shut
        ack = db.record_ack(
            self.store,
            item,
            staff=member.name if member is not None else None,
            role=role,
            at=self.clock(),
        )
        log.warning(
            "broadcast %s (%s) acknowledged here by %s (%s)",
            item.id,
            item.level,
            ack.staff or "nobody signed in",
            ack.role or "-",
        )
        return ack

    def pending_acks(self) -> int:
        return db.pending_acks(self.store)
