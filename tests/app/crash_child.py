"""Child for the crash test: checks codes forever, printing each verdict after it returns."""

import json
import sys

from app.checkin import CheckIn
from local_db.store import Store

db, codes_file = sys.argv[1], sys.argv[2]
codes = open(codes_file).read().split("\n")  # noqa: SIM115
store = Store(db)
svc = CheckIn(store, repeat_window_s=0)
i = 0
print("ready", flush=True)
while True:
    code = codes[i % len(codes)]
    result = svc.check(code, direction="exit" if (i // len(codes)) % 2 else "entry")
    print(json.dumps(result.to_dict()), flush=True)
    i += 1
