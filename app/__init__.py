"""The kiosk application: check-in and box-office services, settings, and the CLI."""


def __getattr__(name: str) -> str:
    # The version is looked up when asked for, not on import: importing this package is then
    # instant, and a Ctrl+C while a command starts meets the command's own handling.
    if name != "__version__":
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("gatehouse")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        version = "0.0.0+source"
    globals()["__version__"] = version
    return version
