"""Saving the settings (the door's and box office's settings dialogs) changes config.toml
only where a value changed: IT's comments, sections and settings this release does not know
stay as written."""

from __future__ import annotations

import tomllib

from app.settings import Settings

WRITTEN_BY_IT = """\
# Gate 3, north entrance. Ask Sam before changing the port: the firewall has a hole for it.
mesh_port = 7450  # firewall rule 12
mesh_peers = [
    "10.0.0.21:7450",  # gate 1
    "10.0.0.22:7450",
]
language = "de"
camera_warmup_s = 2.5  # a setting of a newer release
gate = "North # 3"  # the name the box office prints

[printer]
model = "TM-T20"
"""


def _home(tmp_path, text: str):
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    return Settings.load(tmp_path)


def test_a_changed_setting_is_rewritten_in_place_and_everything_else_stays(tmp_path, monkeypatch):
    monkeypatch.delenv("GATEHOUSE_SERVER", raising=False)
    settings = _home(tmp_path, WRITTEN_BY_IT)
    settings.language = "fr"
    settings.verdict_hold_s = 6.0  # not in the file yet
    settings.save()
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    # the comment lines, the unknown setting, the untouched ones and the section: as written
    for line in WRITTEN_BY_IT.splitlines():
        if not line.startswith("language"):
            assert line in lines, line
    assert 'language = "fr"' in lines
    # a new setting goes into the top-level table, not under [printer] (where it would
    # not count)
    assert lines.index("verdict_hold_s = 6.0") < lines.index("[printer]")
    again = Settings.load(tmp_path)
    assert (again.language, again.verdict_hold_s, again.mesh_port) == ("fr", 6.0, 7450)
    assert again.mesh_peers == ["10.0.0.21:7450", "10.0.0.22:7450"]
    assert again.gate == "North # 3"
    assert tomllib.loads(text)["printer"] == {"model": "TM-T20"}


def test_a_changed_setting_keeps_its_comment_and_a_changed_list_its_place(tmp_path):
    settings = _home(tmp_path, WRITTEN_BY_IT)
    settings.mesh_port = 7460
    settings.mesh_peers = ["10.0.0.23:7460"]
    settings.gate = 'South "B"'
    settings.save()
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "mesh_port = 7460  # firewall rule 12" in lines
    assert 'gate = "South \\"B\\""  # the name the box office prints' in lines
    assert lines[2] == 'mesh_peers = ["10.0.0.23:7460"]'  # where the old list was
    assert "10.0.0.21:7450" not in text
    assert lines[0].startswith("# Gate 3, north entrance.")
    again = Settings.load(tmp_path)
    assert (again.mesh_port, again.mesh_peers, again.gate) == (
        7460,
        ["10.0.0.23:7460"],
        'South "B"',
    )


def test_a_setting_cleared_in_the_dialog_loses_its_line(tmp_path):
    settings = _home(tmp_path, WRITTEN_BY_IT)
    settings.gate = None  # back to the paired gate
    settings.save()
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert "gate =" not in text and "North" not in text
    assert "camera_warmup_s = 2.5" in text
    assert Settings.load(tmp_path).gate is None


def test_a_value_the_kiosk_reads_otherwise_is_written_as_it_reads_it(tmp_path):
    """A quoted "false" and an unclear mDNS value: saving writes the value in use, so
    doctor stops warning; a line already right is not touched."""
    settings = _home(tmp_path, 'sounds = "false"\nmesh_zeroconf = "perhaps"\nmesh = true   # on\n')
    assert settings.sounds is False and settings.mesh_zeroconf is False
    settings.save()
    lines = (tmp_path / "config.toml").read_text(encoding="utf-8").splitlines()
    assert lines == ["sounds = false", "mesh_zeroconf = false", "mesh = true   # on"]
    assert Settings.problems(tmp_path) == []


def test_the_server_from_the_environment_is_not_written_into_the_file(tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text('server = "https://tickets.example"\n', "utf-8")
    monkeypatch.setenv("GATEHOUSE_SERVER", "http://127.0.0.1:9")  # this run only
    settings = Settings.load(tmp_path)
    assert settings.server == "http://127.0.0.1:9"
    settings.language = "es"
    settings.save()
    monkeypatch.delenv("GATEHOUSE_SERVER")
    again = Settings.load(tmp_path)
    assert (again.server, again.language) == ("https://tickets.example", "es")


def test_a_new_file_holds_only_what_differs_from_the_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("GATEHOUSE_SERVER", raising=False)
    settings = Settings.load(tmp_path)
    settings.sounds = False
    settings.save()
    assert (tmp_path / "config.toml").read_text(encoding="utf-8") == "sounds = false\n"
    assert not list(tmp_path.glob("*.tmp"))


def test_a_file_broken_since_the_dialog_opened_is_kept_beside_the_new_one(tmp_path):
    settings = _home(tmp_path, 'language = "de"\n')
    (tmp_path / "config.toml").write_text("language = de  # no quotes\n", "utf-8")
    settings.sounds = False
    settings.save()
    assert (tmp_path / "config.toml.bak").read_text("utf-8") == "language = de  # no quotes\n"
    again = Settings.load(tmp_path)
    assert (again.language, again.sounds) == ("de", False)
