"""Camera media for the bundle smoke test: a ticket's QR code as a door camera sees it.

Run by packaging/smoke_test.py with the development virtualenv's Python (the orchestrator
itself uses the standard library only). From a ticket PNG that ``gatehouse admin tickets
issue --out`` wrote, it makes

* ``photo.jpg``: the code on a grey 640x480 background, as a phone photo for ``scan-image``;
* ``door.avi``: an MJPEG AVI, 30 fps, half a second with no code then two seconds with it;
* ``ipcam/*.jpg``: the same scene at 10 fps as single JPEGs, for an IP camera's MJPEG stream.

    python packaging/smoke_media.py TICKET_PNG OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT, FPS = 640, 480, 30


def frame_with(code: np.ndarray | None) -> np.ndarray:
    canvas = np.full((HEIGHT, WIDTH), 190, np.uint8)
    if code is not None:
        side = 300
        patch = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
        top, left = (HEIGHT - side) // 2, (WIDTH - side) // 2
        canvas[top : top + side, left : left + side] = patch
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)


def main(argv: list[str]) -> int:
    png, out = Path(argv[0]), Path(argv[1])
    code = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    if code is None:
        print(f"smoke_media: cannot read {png}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / "photo.jpg"), frame_with(code), [cv2.IMWRITE_JPEG_QUALITY, 85])
    fourcc = cv2.VideoWriter_fourcc(*"MJPG")
    writer = cv2.VideoWriter(
        str(out / "door.avi"), cv2.CAP_OPENCV_MJPEG, fourcc, FPS, (WIDTH, HEIGHT)
    )
    frames = [frame_with(code if i >= FPS // 2 else None) for i in range(FPS * 5 // 2)]
    for frame in frames:
        writer.write(frame)
    writer.release()
    # The same scene as single JPEGs: what an IP camera sends in its HTTP MJPEG stream.
    (out / "ipcam").mkdir(exist_ok=True)
    for i, frame in enumerate(frames[:: FPS // 10]):
        cv2.imwrite(str(out / "ipcam" / f"{i:03d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
