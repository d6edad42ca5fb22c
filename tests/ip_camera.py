"""A network (IP) camera for tests: JPEG frames served as an HTTP MJPEG stream on 127.0.0.1.

The format most IP cameras offer besides RTSP (``multipart/x-mixed-replace``, one JPEG per
part), read by the kiosk through the same ``cv2.VideoCapture(url)`` as any camera, which in
OpenCV goes through FFmpeg's HTTP protocol and MJPEG demuxer. The frames loop until the camera
is stopped. Standard library only: the bundle smoke test (packaging/smoke_test.py, which never
imports the project) serves the kiosk in its chroot with it too.

    with IpCamera(jpegs, fps=15) as cam:
        source = FrameSource(cam.url)
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOUNDARY = "gatehouseframe"


class IpCamera:
    def __init__(self, jpegs: list[bytes], fps: float = 15.0, host: str = "127.0.0.1"):
        if not jpegs:
            raise ValueError("an IP camera needs at least one frame")
        self.jpegs = jpegs
        self.interval = 1.0 / fps
        self.stopping = threading.Event()
        self.clients = 0
        camera = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5  # a viewer that stops reading cannot hold a thread for ever

            def do_GET(self) -> None:
                if self.path != "/video.mjpg":
                    self.send_error(404)
                    return
                camera.clients += 1
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                try:
                    while not camera.stopping.is_set():
                        for jpeg in camera.jpegs:
                            head = (
                                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                                f"Content-Length: {len(jpeg)}\r\n\r\n"
                            )
                            self.wfile.write(head.encode() + jpeg + b"\r\n")
                            self.wfile.flush()
                            if camera.stopping.wait(camera.interval):
                                return
                except OSError:
                    return  # the viewer went away (or stalled), as viewers do

            def log_message(self, format: str, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/video.mjpg"

    def start(self) -> IpCamera:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():  # shutdown() waits for serve_forever, so only if it runs
            self.server.shutdown()
            self.thread.join(timeout=5)
        self.server.server_close()

    def __enter__(self) -> IpCamera:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
