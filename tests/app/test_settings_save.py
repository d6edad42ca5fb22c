"""Saving the settings (the door's and box office's settings dialogs) changes config.toml
only where a value changed: IT's comments, sections and settings this release does not know
stay as written."""

from __future__ import annotations

import tomllib

import pytest

from app.settings import ConfigError, Settings

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


def test_only_what_changed_since_loading_is_written(tmp_path):
    """IT edits config.toml while the kiosk runs; staff then save the volume: IT's edits
    stay (they were reverted or deleted when every setting the kiosk held was written),
    and a value written unusually but left alone is not rewritten either."""
    settings = _home(tmp_path, 'mesh_port = 7447  # IT: firewall\nsounds = "false"\n')
    (tmp_path / "config.toml").write_text(
        'mesh_port = 8000  # IT: firewall\nsounds = "false"\ngate = "East"\n', "utf-8"
    )
    settings.sound_volume = 0.5
    settings.save()
    lines = (tmp_path / "config.toml").read_text("utf-8").splitlines()
    assert lines == [
        "mesh_port = 8000  # IT: firewall",
        'sounds = "false"',
        'gate = "East"',
        "sound_volume = 0.5",
    ]
    settings.sounds = True  # now changed here: written as the kiosk reads it
    settings.save()
    assert "sounds = true" in (tmp_path / "config.toml").read_text("utf-8").splitlines()


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
    (kept,) = tmp_path.glob("config.toml.bak-*")
    assert kept.read_text("utf-8") == "language = de  # no quotes\n"
    again = Settings.load(tmp_path)  # the fresh file holds all the kiosk had, not only sounds
    assert (again.language, again.sounds) == ("de", False)
    # a second time: the first copy is not overwritten
    (tmp_path / "config.toml").write_text("language = fr  # broken again\n[\n", "utf-8")
    settings.sounds = True
    settings.save()
    assert len(list(tmp_path.glob("config.toml.bak-*"))) == 2
    assert kept.read_text("utf-8") == "language = de  # no quotes\n"


@pytest.mark.parametrize(
    "written",
    [
        # a nested list's rows start with "[" like a section header
        "matrix = [\n  [1, 2],\n  [3, 4],\n]\n",
        # a multi-line text holding what looks like a setting and a section
        'motd = """\nlanguage = "de"\n[not a section]\n"""\n',
        # U+2028 and U+0085 inside a comment and a text (str.splitlines breaks there)
        '# note\u2028more\nlabel = "a\u0085b"  # x\u2028y\n',
        # Windows line endings
        'language = "de"\r\nnote = """a\r\nb"""\r\n',
        # no final line break
        'language = "de"',
    ],
    ids=["nested-list", "multiline-text", "unicode-breaks", "crlf", "no-final-newline"],
)
def test_odd_but_valid_toml_is_changed_only_where_asked(tmp_path, written):
    (tmp_path / "config.toml").write_text(written, encoding="utf-8", newline="")
    before = tomllib.loads(written)
    settings = Settings.load(tmp_path)
    settings.language = "fr"
    settings.verdict_hold_s = 6.0
    settings.save()
    text = (tmp_path / "config.toml").read_bytes().decode("utf-8")
    after = tomllib.loads(text)
    assert after == {**before, "language": "fr", "verdict_hold_s": 6.0}
    assert not list(tmp_path.glob("config.toml.bak-*"))  # changed in place
    if "\r\n" in written:
        assert text.count("\r\n") == text.count("\n")  # line endings kept
    again = Settings.load(tmp_path)
    assert (again.language, again.verdict_hold_s) == ("fr", 6.0)


@pytest.mark.parametrize(
    ("written", "change"),
    [
        ('[server]\nurl = "x"\n', ("server", "http://10.0.0.5:8000")),  # pairing
        ("[cameras]\nfront = 0\n", ("cameras", ["0"])),
        ("gate.x = 1\n", ("gate", "North")),  # a dotted key
    ],
    ids=["section-named-server", "section-named-cameras", "dotted-key"],
)
def test_a_file_that_cannot_be_changed_in_place_is_kept_and_a_fresh_one_written(
    tmp_path, written, change
):
    """A section or dotted key named like a setting: adding the setting would make the file
    invalid TOML, and the kiosk would not start. The old file is kept beside instead."""
    settings = _home(tmp_path, written)
    settings.language = "de"
    setattr(settings, *change)
    settings.save()
    (kept,) = tmp_path.glob("config.toml.bak-*")
    assert kept.read_text("utf-8") == written
    again = Settings.load(tmp_path)
    assert (again.language, getattr(again, change[0])) == ("de", change[1])


def test_control_characters_in_a_value_are_written_as_valid_toml(tmp_path):
    settings = _home(tmp_path, "# server below\n")
    settings.server = "http://10.0.0.5:8000\x7f\x01"
    settings.gate = 'tab\there "quoted" back\\slash'
    settings.save()
    again = Settings.load(tmp_path)  # it failed with "Illegal character"
    assert again.server == "http://10.0.0.5:8000\x7f\x01"
    assert again.gate == 'tab\there "quoted" back\\slash'


def test_a_linked_config_file_is_changed_where_it_lives(tmp_path):
    managed = tmp_path / "managed"
    managed.mkdir()
    (managed / "kiosk.toml").write_text("# managed by IT\n", "utf-8")
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").symlink_to(managed / "kiosk.toml")
    settings = Settings.load(home)
    settings.language = "es"
    settings.save()
    assert (home / "config.toml").is_symlink()
    assert (managed / "kiosk.toml").read_text("utf-8") == '# managed by IT\nlanguage = "es"\n'


def test_a_read_only_file_or_a_folder_is_refused_in_words(tmp_path):
    settings = _home(tmp_path, 'language = "de"\n')
    (tmp_path / "config.toml").chmod(0o400)
    settings.language = "fr"
    with pytest.raises(ConfigError, match="read-only: the settings were not saved"):
        settings.save()
    assert (tmp_path / "config.toml").read_text("utf-8") == 'language = "de"\n'
    (tmp_path / "config.toml").chmod(0o600)
    (tmp_path / "config.toml").unlink()
    (tmp_path / "config.toml").mkdir()
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        settings.save()


def test_saves_at_the_same_moment_keep_every_change_and_a_valid_file(tmp_path):
    """A door and a box office on one kiosk home (or a window and a command) saving at
    once: every change lands and the file stays valid TOML. They shared one temporary file
    and no lock: an outside tester saw 6 broken files and 14 lost changes in 20 tries."""
    import threading

    (tmp_path / "config.toml").write_text("# IT\n", "utf-8")
    names = ["sound_volume", "verdict_hold_s", "clock_off_max_s", "list_stale_after_min"]
    for round_ in range(10):
        windows = [Settings.load(tmp_path) for _ in names]
        for name, window in zip(names, windows, strict=True):
            setattr(window, name, float(round_ + 2))
        go = threading.Barrier(len(windows))
        errors = []

        def save(window, go=go, errors=errors):
            go.wait()
            try:
                window.save()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=save, args=(w,)) for w in windows]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        again = Settings.load(tmp_path)  # valid TOML, or this raises
        assert [getattr(again, n) for n in names] == [float(round_ + 2)] * len(names)
    assert (tmp_path / "config.toml").read_text("utf-8").startswith("# IT\n")
    assert not list(tmp_path.glob("*.tmp"))


def test_a_file_of_thousands_of_list_rows_is_read_once_not_once_per_row(tmp_path, monkeypatch):
    """Each line starting with "[" made the save parse the file again up to it: 4,000 rows
    of a nested list took 50 s, on the door's writer thread with scans queued behind. The
    file is now read through once; TOML is parsed a handful of times, whatever its size."""
    import app.config_file as config_file

    rows = "".join(f'  ["A{i}", {i}],\n' for i in range(4000))
    text = f"seats = [\n{rows}]\n" + 'motd = """\n' + "[x]\n" * 2000 + '"""\n'
    settings = _home(tmp_path, text)
    settings.sound_volume = 0.5
    parses = []
    real_loads = tomllib.loads
    monkeypatch.setattr(
        config_file.tomllib, "loads", lambda t: parses.append(len(t)) or real_loads(t)
    )
    settings.save()
    assert len(parses) <= 5, len(parses)
    assert (tmp_path / "config.toml").read_text("utf-8") == text + "sound_volume = 0.5\n"


def test_a_folder_that_cannot_be_written_is_said_in_words(tmp_path, monkeypatch):
    import os

    settings = _home(tmp_path, 'language = "de"\n')
    settings.language = "fr"
    real_open = os.open

    def refused(path, *args, **kw):  # as a read-only folder answers (root ignores modes)
        if str(path).endswith(".lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kw)

    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(ConfigError, match=r"could not be written \(Permission denied\)"):
        settings.save()
    monkeypatch.undo()
    assert (tmp_path / "config.toml").read_text("utf-8") == 'language = "de"\n'


def test_a_nan_in_a_section_does_not_push_the_file_aside(tmp_path):
    written = 'language = "en"\n\n[camera_tuning]\nexposure = nan\nthresholds = [0.5, nan]\n'
    settings = _home(tmp_path, written)
    settings.sound_volume = 0.5
    settings.save()
    assert not list(tmp_path.glob("config.toml.bak-*"))
    text = (tmp_path / "config.toml").read_text("utf-8")
    assert text == written.replace("\n\n", "\nsound_volume = 0.5\n\n", 1)
