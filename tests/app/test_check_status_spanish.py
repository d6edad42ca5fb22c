"""A kiosk set to Spanish speaks Spanish in ``gatehouse check`` and ``gatehouse status``: the
staff-list refusal, the PIN texts counted with plurals ("Queda 1 intento"), the UID errors,
the emergency refusal and every status label come from the catalogue (an outside tester
found them in English). English output stays as scripts know it. The CLI in child
processes over a real kiosk store."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from core.pins import hash_pin
from local_db.broadcasts import store_broadcasts
from local_db.store import Store
from tests.factories import EventFixture

PIN = "482193"


def gh(cmd, *args, pin=None):
    return subprocess.run([*cmd, *args], input=pin, capture_output=True, text=True, timeout=60)


@pytest.fixture
def kiosk(gatehouse_home, gatehouse_cmd, tmp_path):
    ev = EventFixture()
    codes = [ev.ticket(tier=1, holder=f"Guest {n}")[1] for n in range(3)]
    ev.add(type="staff", id=1, event=ev.event_id, name="Ravi", role="door", pin_hash=hash_pin(PIN))
    path = ev.write(tmp_path / "manifest.ghm")
    fingerprint = ev.manifest_key.public.fingerprint()
    out = gh(gatehouse_cmd, "import-manifest", str(path), "--expect-key", fingerprint)
    assert out.returncode == 0, out.stderr
    return codes


def _spanish(home) -> None:
    (home / "config.toml").write_text('language = "es"\n', encoding="utf-8")


def test_check_speaks_spanish_with_counted_tries(kiosk, gatehouse_cmd, gatehouse_home):
    _spanish(gatehouse_home)
    out = gh(gatehouse_cmd, "check", kiosk[0], "--staff", "sam", pin=PIN + "\n")
    assert out.returncode == 2
    assert "'sam' no está en la lista de personal de este evento (la lista tiene: Ravi)" in (
        out.stderr
    )
    for left in (4, 3, 2):
        out = gh(gatehouse_cmd, "check", kiosk[0], "--staff", "Ravi", pin="000000\n")
        assert f"Quedan {left} intentos" in out.stderr, out.stderr
    out = gh(gatehouse_cmd, "check", kiosk[0], "--staff", "Ravi", pin="000000\n")
    assert "PIN incorrecto. Queda 1 intento antes de una pausa." in out.stderr, out.stderr

    out = gh(gatehouse_cmd, "check", "--media", "zz-not-a-uid")
    assert out.returncode == 2 and "'zz-not-a-uid' no es un UID de chip" in out.stderr
    out = gh(gatehouse_cmd, "check", "--media", "AB", "--media-format", "hex")
    assert out.returncode == 2 and "no es un UID de chip" in out.stderr
    out = gh(gatehouse_cmd, "check", "ABC", "--barcode")
    assert out.returncode == 2 and "--barcode va con --media" in out.stderr
    out = gh(gatehouse_cmd, "check")
    assert out.returncode == 2 and "indique un CÓDIGO de entrada" in out.stderr
    for done in (out,):
        assert "Traceback" not in done.stderr

    with Store(gatehouse_home / "kiosk.sqlite") as store:
        store_broadcasts(store, [{"id": 1, "level": "emergency", "text": "Tormenta"}], time.time())
    out = gh(gatehouse_cmd, "check", kiosk[1])
    assert out.returncode == 1
    assert json.loads(out.stdout)["message"].startswith("Accesos detenidos: mensaje de emergencia")


def test_status_speaks_spanish_and_english_reads_as_before(kiosk, gatehouse_cmd, gatehouse_home):
    english = gh(gatehouse_cmd, "status").stdout.splitlines()
    assert english[1] == "Paired        no"
    assert english[3].startswith("Manifest      seq ") and english[3].endswith(" s old")
    assert "3 tickets" in english[3]
    assert english[5] == "Pending       0 scans not yet uploaded"
    assert english[6] == "Last sync     never"
    assert english[7] == "Gates linked  0 on the LAN"
    _spanish(gatehouse_home)
    gh(gatehouse_cmd, "check", kiosk[0])  # one scan waiting: "1 escaneo", not "1 escaneos"
    spanish = gh(gatehouse_cmd, "status")
    assert spanish.returncode == 0, spanish.stderr
    lines = spanish.stdout.splitlines()
    assert lines[0].startswith("Dispositivo        local-") and "acceso -" in lines[0]
    assert lines[1] == "Emparejado         todavía no"
    assert lines[3].startswith("Lista              n.º ") and "3 entradas, de hace " in lines[3]
    assert lines[4] == "Dentro ahora       1 (admitidos 1)"
    assert lines[5] == "Pendiente          1 escaneo sin subir"
    assert lines[6] == "Última sincr.      nunca"
    assert lines[7] == "Accesos enlazados  0 en la red local"
