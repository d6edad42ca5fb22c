"""``python -m app`` runs the gatehouse command (used by tests and the packaged binary)."""

import sys

from app.cli import main

sys.exit(main())
