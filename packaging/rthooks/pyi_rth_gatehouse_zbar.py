"""Runtime hook: let pyzbar find the zbar library shipped inside the bundle.

pyzbar looks zbar up with ``ctypes.util.find_library("zbar")``. On Linux and macOS that only
searches the system (ldconfig cache, /usr/lib, Homebrew), so on a kiosk without libzbar0 the
second decoder would silently be missing. PyInstaller patches find_library to search the
bundle on Windows only; this does the same for the other platforms, for zbar alone, and falls
back to the system lookup so a newer system zbar can still be used when the bundle has none.
"""

import ctypes.util
import glob
import os
import sys


def _install() -> None:
    if sys.platform == "win32":
        return  # pyzbar loads its DLLs from its own package folder, which the bundle keeps
    system_find = ctypes.util.find_library
    root = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
    patterns = ["libzbar.so*"] if sys.platform != "darwin" else ["libzbar*.dylib"]

    def find_library(name):
        if name == "zbar":
            for pattern in patterns:
                found = sorted(glob.glob(os.path.join(root, pattern)))
                if found:
                    return found[0]
        return system_find(name)

    ctypes.util.find_library = find_library


_install()
