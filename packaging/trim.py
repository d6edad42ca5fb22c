"""What the Gatehouse bundle leaves out, and why (used by gatehouse.spec; see docs/packaging.md).

Three kinds of trimming, all by name pattern so that they keep working as the code grows:

* Python modules never imported by the program (developer tools, Qt bindings for modules the
  kiosk does not use). Excluding a binding also keeps its Qt library and plugins out.
* Qt libraries, plugins and translations that PySide6's hooks would collect by association
  but the kiosk never loads (QML/Quick, WebEngine, 3D, Wayland compositor side, ...).
* Files that only matter to developers (headers, static libraries, Qt Designer).

The smoke test (packaging/smoke_test.sh) runs the bundle in a root file system with nothing
installed, so a trim that removes something the program does load fails there, not at a venue.
"""

from __future__ import annotations

import re
import sys
from pathlib import PurePath

# Qt modules the kiosk never imports. The kiosk uses QtCore, QtGui, QtWidgets, QtMultimedia
# (sounds, camera preview), QtPrintSupport (box office tickets) and QtSvg/QtNetwork through them.
_UNUSED_QT = [
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtAxContainer",
    "QtBluetooth",
    "QtCharts",
    "QtDataVisualization",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLocation",
    "QtNetworkAuth",
    "QtNfc",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtQml",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    # Bindings the hooks drag in with QtMultimedia; their Qt libraries stay where linked.
    "QtMultimediaWidgets",
    "QtConcurrent",
    "QtDBus",
]

EXCLUDED_MODULES: list[str] = [
    *(f"PySide6.{name}" for name in _UNUSED_QT),
    # Developer and test tools that a dev install puts next to the runtime packages.
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "schemathesis",
    "pgserver",
    "PyInstaller",
    "IPython",
    "ruff",
    "pip",
    # Optional speed-ups and extras of the server stack that Gatehouse does not use: uvicorn
    # falls back to asyncio and h11 without them, and the API has no WebSocket route.
    "uvloop",
    "watchfiles",
    "websockets",
    "wsproto",
    "yaml",  # uvicorn reads YAML logging configs only if given one
    # Pillow: only tests and pyzbar's optional PIL input use it; Qt and OpenCV load images.
    "PIL",
    # Never used by the program; pulled in by optional imports of third-party packages.
    "tkinter",
    "_tkinter",
    "matplotlib",
    "pydoc_data",
    "lib2to3",
]

# Qt plugins the kiosk never loads, dropped by folder or file name. Qt *libraries* are not
# listed: after the plugins go, prune_unreachable() drops every library nothing still needs,
# and keeps every library something still needs (the FFmpeg multimedia plugin, for one, links
# QtQuick and QtQml although the kiosk has no QML).
_BINARY_DROP = [
    # Qt plugin families only QML/3D/WebEngine/location/sensors/SQL/designer ever load.
    re.compile(
        r"/plugins/(qmltooling|renderers|renderplugins|sceneparsers|assetimporters|"
        r"geometryloaders|geoservices|position|sensors|sqldrivers|texttospeech|designer|"
        r"canbus|scxmldatamodel|webview|wayland-graphics-integration-server)/"
    ),
    # The on-screen keyboard input method is written in QML (see QtQuick above).
    re.compile(r"/plugins/platforminputcontexts/libqtvirtualkeyboardplugin"),
    # GTK theme integration: pulls GTK, cairo and pango (about 10 MB) into the bundle for a
    # window that draws its own high-contrast door theme anyway.
    re.compile(r"/plugins/platformthemes/libqgtk3"),
    # The FFmpeg media backend: for QMediaPlayer, QCamera, QMediaRecorder, none of which the
    # kiosk uses. QSoundEffect and QMediaDevices work without any backend (Qt says "No
    # QtMultimedia backends found. Only QMediaDevices, QAudioDevice, QSoundEffect, QAudioSink,
    # and QAudioSource are available"), and the smoke test plays the sounds to prove it.
    # With it go Qt's FFmpeg, QtQuick and QtQml, which only this plugin links: about 36 MB.
    re.compile(r"/plugins/multimedia/libffmpegmediaplugin"),
    # Image formats the kiosk never reads: PDF (pulls QtPdf, 4 MB), TIFF, WebP, TGA, WBMP,
    # ICNS. Kept: PNG (built into QtGui), JPEG, GIF, SVG, ICO.
    re.compile(r"/plugins/imageformats/libq(pdf|tiff|webp|tga|wbmp|icns)\."),
    # Screens for developers (VNC, minimal) and the Vulkan display; kept: xcb, wayland,
    # eglfs and linuxfb (a kiosk without a desktop), offscreen (tests, smoke test).
    re.compile(r"/plugins/platforms/libq(vnc|minimal|minimalegl|vkkhrdisplay)\."),
    # QtNetwork's TLS backends and network-information plugins: the kiosk does its HTTP with
    # httpx, never with QtNetwork.
    re.compile(r"/plugins/(tls|networkinformation)/"),
]

_DATA_DROP = [
    re.compile(r"/Qt/qml/"),  # QML modules: the kiosk is written with widgets
    re.compile(r"/Qt/resources/qtwebengine"),
    re.compile(r"/Qt/translations/qtwebengine_"),
    re.compile(r"\.(h|hpp|a|lib|prl|cmake)$"),
]


def _dest(entry: tuple) -> str:
    return str(entry[0]).replace("\\", "/")


def binaries(toc: list[tuple]) -> list[tuple]:
    """The collected shared libraries minus the plugins never loaded and what only they need."""
    kept = [e for e in toc if not any(p.search("/" + _dest(e)) for p in _BINARY_DROP)]
    if sys.platform.startswith("linux"):
        kept = prune_unreachable(kept)
    return kept


def _is_root(entry: tuple) -> bool:
    """Binaries loaded by name at run time: Python extensions, Qt plugins, ctypes libraries."""
    dest, _src, typecode = entry
    name = PurePath(dest).name
    return (
        typecode != "BINARY"
        or "/plugins/" in "/" + _dest(entry)
        or name.startswith("libpython")
        or "zbar" in name
    )


def prune_unreachable(toc: list[tuple]) -> list[tuple]:
    """Drop shared libraries that nothing loaded at run time links to, directly or not.

    PyInstaller resolves the dependencies of everything a hook collects before the spec can
    drop a plugin, so dropping a plugin leaves what only it needed behind (the FFmpeg
    multimedia plugin: FFmpeg, QtQuick, QtQml; the GTK theme: GTK, cairo, pango). Starting
    from the roots (extension modules, plugins, ctypes libraries), the closure of what the
    dynamic loader will load (ELF NEEDED entries, through PyInstaller) is kept; the rest goes.
    """
    from PyInstaller.depend.bindepend import get_imports

    by_name: dict[str, tuple] = {}
    for entry in toc:
        by_name.setdefault(PurePath(entry[0]).name, entry)
    reached = {id(e) for e in toc if _is_root(e)}
    todo = [e for e in toc if _is_root(e)]
    while todo:
        entry = todo.pop()
        for name, _path in get_imports(entry[1]):
            dep = by_name.get(PurePath(name).name)
            if dep is not None and id(dep) not in reached:
                reached.add(id(dep))
                todo.append(dep)
    kept = [e for e in toc if id(e) in reached]
    dropped = sorted(PurePath(e[0]).name for e in toc if id(e) not in reached)
    print(f"trim: {len(dropped)} libraries nothing loads: {', '.join(dropped)}")
    return kept


_QT_TRANSLATION = re.compile(r"/Qt/translations/[a-z]+_(?P<lang>[a-zA-Z_]+)\.qm$")


def datas(toc: list[tuple], languages: set[str]) -> list[tuple]:
    """The collected data files minus QML, WebEngine resources and developer files.

    Qt's own translations (standard dialogs, "OK", "Cancel") are kept only for the languages
    the kiosk itself is translated into: the others would never be shown.
    """
    kept = []
    for entry in toc:
        dest = "/" + _dest(entry)
        if any(p.search(dest) for p in _DATA_DROP):
            continue
        match = _QT_TRANSLATION.search(dest)
        if match and match["lang"].split("_")[0] not in languages:
            continue
        kept.append(entry)
    return kept


def kiosk_languages() -> set[str]:
    """The languages the kiosk speaks: one module each in core/messages (the catalogue)."""
    from core.messages import LANGUAGES

    return set(LANGUAGES)
