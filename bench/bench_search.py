"""Name and ticket-number search at the door with 1,000,000 tickets (DESIGN s. 10).

Builds a kiosk store of 1,000,000 tickets whose holders have names from many scripts (Latin
with accents, Greek, Cyrillic, Arabic, Devanagari, Chinese, Japanese, Korean), through the
same upsert and triggers a manifest page uses, then times ``Store.search_tickets`` for the
queries door staff type: the start of a first or last name (2-8 letters, typed without
accents and in lower case), two words, a whole name, and 4-9 characters of a ticket number.
Prints p50/p99/max per kind and overall. Budget: p99 <= 20 ms on a 2-core machine.

    .venv/bin/python bench/bench_search.py [--tickets 1000000] [--queries 4000]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.credentials import ticket_number
from core.names import fold
from local_db.manifest_apply import _UPSERTS, apply_stream
from local_db.schema import index_names
from local_db.store import Store
from tests.factories import EventFixture

FIRST = [
    "Élodie",
    "Zoë",
    "Søren",
    "Łukasz",
    "Jürgen",
    "Asha",
    "Priya",
    "Mohammed",
    "Fatima",
    "José",
    "María",
    "Chloé",
    "Björn",
    "Ingrid",
    "Siobhán",
    "Nguyễn",
    "Aiyana",
    "Olga",
    "Dmitri",
    "Ана",
    "Иван",
    "Γιώργος",
    "Ελένη",
    "محمد",
    "فاطمة",
    "प्रिया",
    "राहुल",
    "太郎",
    "花子",
    "민준",
    "서연",
    "Anna",
    "Peter",
    "John",
    "Mary",
    "Wei",
    "Li",
    "Kenji",
    "Yuki",
    "Amara",
    "Kwame",
    "Noah",
    "Emma",
    "Liam",
    "Olivia",
    "Mateo",
    "Sofía",
    "Lucía",
    "Hugo",
    "Louis",
    "Inès",
    "Léa",
    "Jakub",
    "Zofia",
    "Ömer",
    "Ayşe",
    "Đorđe",
    "Ærøskøbing",
    "Straße",
]
LAST = [
    "Müller",
    "Martin",
    "Dubois",
    "Kierkegaard",
    "Wałęsa",
    "Schröder",
    "Rao",
    "Sharma",
    "Khan",
    "García",
    "López",
    "Lefèvre",
    "Andersson",
    "O'Brien",
    "Jean-Baptiste",
    "Trần",
    "Smith",
    "Johnson",
    "Brown",
    "Иванова",
    "Петров",
    "Παπαδόπουλος",
    "الحسن",
    "عبدالله",
    "शर्मा",
    "वर्मा",
    "山田",
    "佐藤",
    "김",
    "박",
    "Wang",
    "Zhang",
    "Tanaka",
    "Suzuki",
    "Okafor",
    "Mensah",
    "Rossi",
    "Bianchi",
    "Silva",
    "Santos",
    "Novák",
    "Kowalski",
    "Yılmaz",
    "Jovanović",
    "Øvergaard",
    "Weiß",
    "Fernández",
    "Moreau",
]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def build_store(path: Path, tickets: int, rng: random.Random) -> list[tuple[int, str]]:
    ev = EventFixture()
    store = Store(path)
    apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    ids = rng.sample(range(1, 2**63 - 1), tickets)
    sql, row = _UPSERTS["ticket"]
    people = []
    # Bulk load the way a full manifest lands: the manifest's own upsert, then each page's
    # search words in word order (local_db.manifest_apply.apply_page does the same).
    with store.transaction() as c:
        batch = []

        def flush() -> None:
            c.executemany(sql, batch)
            index_names(c, {v[0]: v[3] for v in batch})
            batch.clear()

        for i, tid in enumerate(ids):
            holder = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            people.append((tid, holder))
            batch.append(
                row(
                    {
                        "id": tid,
                        "event": ev.event_id,
                        "tier": 1 + i % 3,
                        "holder": holder,
                        "seq": i + 1,
                    }
                )
            )
            if len(batch) == 20_000:
                flush()
        flush()
    store.close()
    return people


def queries(people: list[tuple[int, str]], n: int, rng: random.Random) -> list[tuple[str, str]]:
    out = []
    for _ in range(n):
        tid, holder = rng.choice(people)
        first, last = holder.split(" ", 1)
        kind = rng.choice(
            ("first name start", "last name start", "two words", "whole name", "number")
        )
        if kind == "first name start":
            q = fold(first)[: rng.randint(2, 8)]
        elif kind == "last name start":
            q = fold(last)[: rng.randint(2, 8)]
        elif kind == "two words":
            q = f"{fold(first)[: rng.randint(1, 4)]} {fold(last)[: rng.randint(2, 5)]}"
        elif kind == "whole name":
            q = holder.lower()
        else:
            q = ticket_number(tid).replace("-", "")[: rng.randint(4, 9)].lower()
        out.append((kind, q))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=4000)
    args = ap.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "kiosk.sqlite"
        t0 = time.perf_counter()
        people = build_store(db, args.tickets, rng)
        build_s = time.perf_counter() - t0
        size = os.path.getsize(db)
        store = Store(db)
        qs = queries(people, args.queries, rng)
        for _, q in qs[:50]:
            store.search_tickets(q)  # warm the page cache as a kiosk that has been up a while
        times: dict[str, list[float]] = {}
        found = 0
        for kind, q in qs:
            t = time.perf_counter()
            rows = store.search_tickets(q)
            times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            found += bool(rows)
        store.close()
    every = [x for v in times.values() for x in v]
    print(f"name / ticket-number search, {args.tickets:,} tickets, {len(every):,} queries")
    for kind, v in sorted(times.items()):
        print(
            f"  {kind:17s} p50 {statistics.median(v):6.2f} ms   p99 {pct(v, 0.99):6.2f} ms"
            f"   max {max(v):6.2f} ms   ({len(v)} queries)"
        )
    print(
        f"  all               p50 {statistics.median(every):6.2f} ms   p99 {pct(every, 0.99):6.2f}"
        f" ms   max {max(every):6.2f} ms   ({found} of {len(every)} found something)"
    )
    print(
        f"  store: {size / 1e6:.0f} MB for {args.tickets:,} tickets with search words "
        f"(built in {build_s:.1f} s)"
    )


if __name__ == "__main__":
    main()
