"""The kiosk application: check-in and box-office services, settings, and the CLI."""

from importlib import metadata

try:
    __version__ = metadata.version("gatehouse")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
