"""Entry point of the packaged ``gatehouse`` console program (server, admin, kiosk CLI)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # A frozen Windows/macOS program re-executes itself for child processes (uvicorn
    # reloaders, multiprocessing pools); freeze_support() makes those children behave.
    multiprocessing.freeze_support()
    try:
        from app.cli import main
    except KeyboardInterrupt:  # Ctrl+C while the program loads
        sys.exit(130)

    sys.exit(main())
