"""Cameras and hand scanners to ticket codes (Qt-free; the UI adapts these callbacks to signals).

- ``scanner.sources``: frame sources (camera, IP camera, video file, image folder), each on its
  own worker thread, with reconnect and newest-frame-wins hand-off.
- ``scanner.decoders``: zxing-cpp and pyzbar behind one interface, and the per-frame cascade.
- ``scanner.dedupe``: the same code seen again and again is one read.
- ``scanner.wedge``: keystrokes from a USB hand scanner (keyboard wedge) to codes.
- ``scanner.pipeline``: sources + cascade + de-dup wired together for a kiosk.
"""
