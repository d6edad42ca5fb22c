"""Entry point of the packaged ``Gatehouse Kiosk`` window: ``gatehouse kiosk`` with its options.

It is a separate executable so that Windows and macOS can build it without a console window
and IT can point a shortcut, a .desktop entry or a login item at it with no arguments.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    try:
        from app.cli import main
    except KeyboardInterrupt:  # Ctrl+C while the program loads
        sys.exit(130)

    sys.exit(main(["kiosk", *sys.argv[1:]]))
