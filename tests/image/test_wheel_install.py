"""The wheel, built and installed (not editable) into a fresh venv, passes `madoguchi selftest` on
simulated hardware from another directory: the models travel inside it.

Offline: the wheel is built without build isolation, and the fresh venv sees this venv's
dependencies through a plain path line in a .pth file. Such a line does not run this venv's own
.pth files (its editable install of madoguchi), so the wheel's madoguchi is the one imported.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_installed_wheel_passes_selftest_on_simulated_hardware(tmp_path, sane_config_dir):
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(ROOT / "device", source / "device", symlinks=True, ignore=SKIP)
    shutil.copytree(ROOT / "models", source / "models", ignore=SKIP)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
    run(
        *pip,
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
        "-w",
        tmp_path,
        source,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("madoguchi-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(*pip, "--python", python, "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp_path)
    purelib = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path).strip()
    )
    (purelib / "dev-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = run(
        python,
        "-c",
        "import madoguchi.engine.models as m; print(m.__file__); print(m.models_dir())",
        cwd=elsewhere,
        env=env,
    ).split()
    assert all(Path(path).is_relative_to(purelib / "madoguchi") for path in where), where

    config = elsewhere / "config.toml"
    config.write_text(
        '[counter]\nmunicipality = "テスト市"\nterminal_id = "wheel-01"\nthreshold = 60\n\n'
        '[hardware]\nkind = "simulated"\n\n'
        f'[storage]\naudit_path = "{tmp_path / "audit.jsonl"}"\n',
        encoding="utf-8",
    )
    report = run(
        venv / "bin" / "madoguchi",
        "selftest",
        "--config",
        config,
        "--scan",
        "--print",
        "--json",
        cwd=elsewhere,
        env=env,
    )
    checks = json.loads(report)["data"]["checks"]
    assert checks and all(check["ok"] for check in checks), report
    assert {check["name"] for check in checks} >= {
        "config",
        "models",
        "camera",
        "scanner",
        "display",
        "printer",
    }
