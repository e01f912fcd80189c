"""The dependency order is checked, not only written down: the contracts in pyproject.toml hold for
the tree, and an upward import added on purpose breaks them (docs/adr/0008-import-contracts.md)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _copy_sources(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "lianfang",
        tmp_path / "lianfang",
        ignore=lambda folder, names: [n for n in names if not (n.endswith(".py") or (Path(folder) / n).is_dir())],
    )
    return tmp_path


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}
    )


def test_the_tree_keeps_every_import_contract(tmp_path):
    result = _lint(_copy_sources(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_lower_app_importing_a_higher_one_breaks_the_contract(tmp_path):
    tree = _copy_sources(tmp_path)
    with (tree / "lianfang" / "health" / "models.py").open("a") as models:
        models.write("\nfrom lianfang.reporting import models as upward  # noqa: E402, F401\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "lianfang.health is not allowed to import lianfang.reporting" in result.stdout


def test_a_service_importing_its_view_breaks_the_layer_contract(tmp_path):
    tree = _copy_sources(tmp_path)
    with (tree / "lianfang" / "cases" / "services" / "care.py").open("a") as services:
        services.write("\nfrom lianfang.cases.views import care as upward  # noqa: E402, F401\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "lianfang.cases.services is not allowed to import lianfang.cases.views" in result.stdout
