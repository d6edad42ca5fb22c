"""The kiosk's Qt user interface: the door screen, its dialogs and the adapters that feed it.

Only this package imports PySide6. Everything below ``ui`` (core, local_db, scanner, sync, app)
exposes plain callbacks; the adapters here turn them into queued signals so every callback
lands on the GUI thread, and the GUI thread itself never touches the disk or the network.
"""
