"""``gatehouse scan-image`` and the scanner part of ``gatehouse doctor``, run in-process."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pytest

from app.cli import main
from local_db.manifest_apply import apply_stream
from local_db.store import Store
from tests.factories import EventFixture
from tests.scanner.scanner_corpus import render_code, ticket_video_frames, write_video


def _photo(path, *texts, size=(720, 1280)):
    """A grey frame with each code pasted side by side, saved as an image file."""
    canvas = np.full(size, 120, np.uint8)
    x = 20
    for text in texts:
        code = render_code(text, 4)
        h, w = code.shape
        canvas[40 : 40 + h, x : x + w] = code
        x += w + 40
    cv2.imwrite(str(path), canvas)
    return str(path)


@pytest.fixture
def kiosk(gatehouse_home):
    """A kiosk home holding an applied manifest with two tickets."""
    gatehouse_home.mkdir(parents=True)
    ev = EventFixture()
    _, asha = ev.ticket(holder="Asha Rao")
    _, ben = ev.ticket(holder="Ben Okafor")
    with Store(gatehouse_home / "kiosk.sqlite") as store:
        apply_stream(store, io.BytesIO(ev.page()), first_use=True)
    return ev, asha, ben


def _lines(capsys):
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_scan_image_checks_every_code_in_every_file(kiosk, tmp_path, capsys):
    _, asha, ben = kiosk
    one = _photo(tmp_path / "one.png", asha, ben)
    assert main(["scan-image", one, "--json"]) == 0
    results = _lines(capsys)
    assert len(results) == 2
    assert {r["verdict"] for r in results} == {"admit"}
    assert {r["file"] for r in results} == {one}
    assert {r["ticket"]["holder"] for r in results} == {"Asha Rao", "Ben Okafor"}
    assert all(r["scan_id"] for r in results)


def test_scan_image_decode_only_prints_texts(tmp_path, capsys, gatehouse_home):
    ev = EventFixture()
    code = ev.credential(123)
    img = _photo(tmp_path / "t.png", code)
    assert main(["scan-image", "--decode-only", img]) == 0
    assert capsys.readouterr().out.strip() == code
    assert main(["scan-image", "--decode-only", "--json", img]) == 0
    assert _lines(capsys) == [{"file": img, "text": code}]


def test_scan_image_foreign_qr_is_a_rejection_not_a_crash(kiosk, tmp_path, capsys):
    img = _photo(tmp_path / "url.png", "HTTPS://EXAMPLE.COM/NOT-A-TICKET")
    assert main(["scan-image", img]) == 1
    (result,) = _lines(capsys)
    assert result["verdict"] == "reject"


def test_scan_image_unreadable_and_empty_files(kiosk, tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((100, 100), 200, np.uint8))
    assert main(["scan-image", str(bad)]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["scan-image", str(tmp_path / "missing.png")]) == 2
    assert main(["scan-image", "--decode-only", str(blank)]) == 1
    assert "no code found" in capsys.readouterr().err


def test_scan_image_without_manifest_is_an_environment_error(gatehouse_home, tmp_path, capsys):
    ev = EventFixture()
    img = _photo(tmp_path / "t.png", ev.credential(5))
    assert main(["scan-image", img]) == 2
    assert capsys.readouterr().err.startswith("gatehouse: ")


def test_doctor_reports_decoders_and_reads_a_code_from_a_video(gatehouse_home, tmp_path, capsys):
    ev = EventFixture()
    code = ev.credential(77)
    video = write_video(tmp_path / "door.avi", ticket_video_frames([code], gap=0))
    status = main(["doctor", "--json", "--no-probe", "--camera", str(video)])
    findings = json.loads(capsys.readouterr().out)["findings"]
    decoders = [f for f in findings if f["check"] == "decoder"]
    assert decoders[0]["details"]["library"] == "zxing-cpp"
    cams = [f for f in findings if f["check"] == "camera"]
    assert cams[0]["status"] == "ok" and cams[0]["details"]["codes"] == [code]
    assert status == 0  # a bare home only warns (no database yet); see test_doctor_cli.py
