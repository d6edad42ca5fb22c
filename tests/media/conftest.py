"""The door window fixture of tests/ui, for the wristband tests at the window."""

from tests.ui.conftest import kiosk_factory  # noqa: F401
