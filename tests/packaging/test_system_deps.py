"""packaging/system_deps.sh names the package of every system library the kiosk loads.

The list of libraries is derived, not remembered: packaging/derive_system_deps.py reads the
DT_NEEDED entries of the PySide6 modules and Qt plugins the kiosk loads (window, sound) and of
pyzbar's libzbar, follows what the wheel bundles, and keeps what it does not. Each of those
that this machine has is mapped to its package with ``dpkg -S``; system_deps.sh must install
that package. No network: everything is read from this machine.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux system libraries"),
    pytest.mark.skipif(
        shutil.which("dpkg") is None,
        reason="no dpkg here: system_deps.sh's packages are Debian/Ubuntu names, not checkable",
    ),
]


def _derive():
    spec = importlib.util.spec_from_file_location(
        "derive_system_deps", ROOT / "packaging" / "derive_system_deps.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_library_the_kiosk_loads_from_the_system_is_installed_by_system_deps():
    derive = _derive()
    roots = derive.kiosk_roots()
    assert any(r.name == "libqxcb.so" for r in roots), "PySide6's xcb platform plugin not found"
    needs = derive.system_needs(roots)
    assert "libxcb-cursor.so.0" in needs  # the one that crashed a fresh machine's demo
    table = derive.read_table()
    named = set(table.values())
    cache = derive.ldconfig_cache()
    owners = derive.dpkg_owners([cache[n] for n in needs if n in cache])

    problems = []
    for soname, needed_by in sorted(needs.items()):
        where = f"{soname} (needed by {needed_by[0]})"
        if soname not in table:
            problems.append(f"{where} is not in system_deps.sh's table")
        owner = owners.get(cache.get(soname, ""))
        if owner and not any(derive.same_package(owner, p) for p in named):
            problems.append(f"{where} is in package {owner}, which system_deps.sh does not name")
    assert not problems, (
        "packaging/system_deps.sh is stale; re-derive it with "
        "`.venv/bin/python packaging/derive_system_deps.py --write`:\n" + "\n".join(problems)
    )


def test_system_deps_is_silent_and_installs_nothing_when_all_is_present():
    # `make test` ran system_deps.sh first, so nothing is missing here: --check says nothing.
    out = subprocess.run(
        ["bash", str(ROOT / "packaging" / "system_deps.sh"), "--check"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")


def _test_tools() -> list[str]:
    script = (ROOT / "packaging" / "system_deps.sh").read_text()
    [line] = [x for x in script.splitlines() if x.startswith("TEST_TOOL_PACKAGES=")]
    return line.split("=", 1)[1].strip('"').split()


def test_the_load_balancer_of_the_scale_out_tests_is_a_test_tool_of_system_deps():
    """tests/server/test_scale_out.py runs the ``haproxy`` program: the package that ships it
    here (dpkg -S, not remembered) is in system_deps.sh's test-tools list, not the kiosk's
    derived library table."""
    exe = shutil.which("haproxy")
    if exe is None:
        pytest.skip("haproxy is not installed here: `sudo bash packaging/system_deps.sh`")
    out = subprocess.run(["dpkg", "-S", exe], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    owner = out.stdout.split(":", 1)[0]
    assert owner in _test_tools()
    assert owner not in set(_derive().read_table().values())


def test_a_missing_test_tool_is_named_but_is_no_error(tmp_path):
    """Without haproxy (a dpkg that does not know it), --check still passes and says which
    package the scale-out tests want."""
    fake = tmp_path / "dpkg"
    real = shutil.which("dpkg")
    fake.write_text(
        f'#!/bin/sh\n[ "$1 $2" = "-s haproxy" ] && exit 1\nexec {real} "$@"\n', encoding="utf-8"
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    out = subprocess.run(
        ["bash", str(ROOT / "packaging" / "system_deps.sh"), "--check"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert (out.returncode, out.stdout) == (0, "")
    assert "apt-get install -y haproxy" in out.stderr and "scale-out tests" in out.stderr


@pytest.mark.skipif(shutil.which("fc-query") is None, reason="no fc-query (fontconfig) here")
def test_system_deps_installs_a_font_for_the_script_of_every_language():
    # Each language of the catalogue must render on a kiosk that ran system_deps.sh: some
    # font file of its table covers the language, as fontconfig judges it (fc-query's lang).
    from core.messages import LANGUAGES

    fonts = [name for name in _derive().read_table() if name.startswith("/")]
    covered: set[str] = set()
    for font in fonts:
        out = subprocess.run(
            ["fc-query", "--index", "0", "--format", "%{lang}", font],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 0, f"{font} is in system_deps.sh but not installed here"
        covered |= set(out.stdout.split("|"))
    fontconfig_name = {"zh": "zh-cn"}  # Simplified Chinese, as fontconfig names it
    lacking = [code for code in LANGUAGES if fontconfig_name.get(code, code) not in covered]
    assert not lacking, f"no font in system_deps.sh's table covers: {lacking}"
