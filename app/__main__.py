"""``python -m app`` runs the gatehouse command (used by tests and the packaged binary)."""

import sys

try:
    from app.cli import main
except KeyboardInterrupt:  # Ctrl+C while Python loads the command
    sys.exit(130)

sys.exit(main())
