"""Printing text that came from kiosks, staff or buyers on the operator's terminal.

Names, messages and reasons in the server's reports were typed somewhere else: an escape
sequence in one (ESC, other control characters, a bidirectional override such as U+202E)
would clear the organizer's screen, set the terminal's title or turn a line around. ``shown``
writes every such character as a visible escape (``\\x1b``, ``\\u202e``) instead; ordinary
letters in every script pass unchanged. Every admin report that prints such text uses it.
"""

from __future__ import annotations


def shown(text: object, *, newlines: bool = False) -> str:
    """``text`` with every unprintable character escaped (newlines kept when ``newlines``)."""
    s = "" if text is None else str(text)
    if s.isprintable():
        return s
    out = []
    for ch in s:
        if ch.isprintable() or (newlines and ch == "\n"):
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)
