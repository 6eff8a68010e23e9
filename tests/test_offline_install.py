"""The deposit installs with the network cut off: the hashed lock and wheelhouse of `make archive WHEELS=1`, then
`make`'s install step (the one `make verify` starts with) in a copy of the sources, run under `unshare -n` (a
network namespace with nothing but loopback). It downloads ~220 MB (kept in build/deposit/wheelhouse for the
next run) and installs ~160 packages: ~3 minutes, so it is not part of `make test`; `make test-offline` runs it
(OFFLINE_INSTALL_TEST=1). Needs `unshare -n` (root, or user namespaces)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, copy_repository
from entangled_drums.product import archive

pytestmark = pytest.mark.skipif(
    os.environ.get("OFFLINE_INSTALL_TEST") != "1", reason="downloads the wheelhouse (~220 MB): make test-offline"
)


def _offline(*cmd, **kwargs):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the deposit's own environment only
    return subprocess.run(["unshare", "-n", *cmd], capture_output=True, text=True, env=env, **kwargs)


def test_the_deposit_installs_with_no_network_from_its_wheelhouse(tmp_path):
    if not shutil.which("unshare") or _offline("true").returncode != 0:
        pytest.skip("unshare -n is not available here")
    deposit = copy_repository(tmp_path / "entangled-drums")
    lock = archive.hashed_lock(deposit, deposit / archive.HASHED_LOCK)  # PyPI's index (or uv's cache)
    cache = ROOT / "build" / "deposit" / archive.WHEELHOUSE  # what `make archive WHEELS=1` keeps
    archive.wheelhouse(lock, cache)  # downloads only what is missing
    allowed = archive._lock_hashes(lock)
    (deposit / archive.WHEELHOUSE).mkdir()
    for path in cache.iterdir():
        if archive._sha256(path) in allowed:
            shutil.copy2(path, deposit / archive.WHEELHOUSE / path.name)
    # the sandbox has no network: nothing resolves, nothing connects
    probe = "import socket; socket.create_connection(('151.101.0.223', 443), timeout=5)"  # a PyPI address
    assert _offline(sys.executable, "-c", probe).returncode != 0
    base_python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    proc = _offline("make", ".venv/.installed-stamp", f"PYTHON={base_python}", cwd=deposit, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "--no-index --find-links wheelhouse --require-hashes" in proc.stdout
    python = deposit / ".venv" / "bin" / "python"
    check = "import entangled_drums, numpy, snakemake, rocrate_validator; print(entangled_drums.__file__)"
    proc = _offline(str(python), "-c", check, cwd=deposit)
    assert proc.returncode == 0 and str(deposit / "workflow" / "entangled_drums") in proc.stdout, proc.stderr
    # exactly the locked versions
    frozen = _offline(str(python), "-m", "pip", "--isolated", "list", "--format=freeze", cwd=deposit).stdout
    installed = dict(line.lower().replace("_", "-").split("==") for line in frozen.split() if "==" in line)
    for line in (deposit / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split("==")
            assert installed.get(name.lower().replace("_", "-")) == version.strip(), name
