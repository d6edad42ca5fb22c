"""Child for the two-process test: the real ``gatehouse check``, started on a signal.

Python's start-up and the CLI's imports take far longer than a check, so two processes
started back to back rarely overlap. This child does all of that first, says "ready", waits
for the go file, then runs ``gatehouse check CODE`` exactly as the console script does.
"""

import os
import sys
import time

from app.cli import build_parser, main

build_parser("check")  # import the command's modules now, not after the go signal
go, code = sys.argv[1], sys.argv[2]
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.0005)
sys.exit(main(["check", code, "--json"]))
