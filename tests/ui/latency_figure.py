"""Figure, not a test: decoded code -> verdict on screen, idle and during a manifest apply.

Run: ``.venv/bin/python tests/ui/latency_figure.py``. Drives the real window: each code goes
GUI -> writer thread (CheckIn.check, durable commit) -> queued signal -> verdict panel.
The second run applies a 50,000-row manifest page on another thread, as a sync round does.
"""

import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtWidgets import QApplication

from app.settings import Settings
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture
from ui.app import KioskApp

app = QApplication([])
home = Path(tempfile.mkdtemp())
ev = EventFixture()
codes = [ev.ticket(1, f"Guest {i}")[1] for i in range(300)]
big = EventFixture(event_id=ev.event_id, manifest_key=ev.manifest_key, ticket_key=ev.ticket_key)
with Store(Settings.load(home).db_path) as s:
    apply_stream(s, io.BytesIO(ev.page()), first_use=True)
    s.set_meta("gate", "Main")
kiosk = KioskApp(Settings.load(home))
w = kiosk.build_window()
w.show()
# extra rows for the concurrent "sync": 50k tickets as a follow-up page
for i in range(50000):
    ev.add(type="ticket", id=10**12 + i, event=ev.event_id, tier=1, holder=f"Late {i}")
delta = ev.page(since=ev.seq - 50000)

while w.page() != "door":
    app.processEvents()


def measure(n, label):
    lat = []
    for code in codes[:n]:
        done: list[int] = []
        w.result_shown.connect(lambda _r, done=done: done.append(1))
        w.handle_code(code, "bench")
        while not done:
            app.processEvents()
        w.result_shown.disconnect()
        lat.append(w.last_latency_ms)
    del codes[:n]
    lat.sort()
    print(
        f"{label}: n={n} median {statistics.median(lat):.1f} ms,"
        f" p95 {lat[int(0.95 * len(lat)) - 1]:.1f} ms, max {lat[-1]:.1f} ms"
    )


measure(100, "idle")
t = threading.Thread(target=lambda: apply_stream(kiosk.store, io.BytesIO(delta)))
t0 = time.monotonic()
t.start()
measure(100, "during a 50k-row manifest apply")
t.join()
print(f"(apply took {time.monotonic() - t0:.1f} s)")
w._close_approved = True
w.close()
