"""The installed layout: one namespace, no top-level `model` module, a console script."""

import subprocess
import sys


def test_model_is_not_importable_as_a_top_level_module(tmp_path):
    # Run from an empty folder so the repository is not on sys.path.
    proc = subprocess.run(
        [sys.executable, "-c", "import model"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "ModuleNotFoundError" in proc.stderr


def test_conformance_is_not_importable_as_a_top_level_module(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "import conformance"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode != 0


def test_namespace_packages_import_from_anywhere(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "import wsshare.model, wsshare.conformance.cli.commands"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_console_script_is_installed_and_runs(wsshare_script):
    proc = subprocess.run([wsshare_script, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "usage: wsshare" in proc.stdout
