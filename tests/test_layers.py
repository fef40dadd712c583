"""The import contracts in ``.importlinter`` catch a wrong import.

Each test copies ``workflow``, ``blueprints`` and ``config`` with the contract file
into a temporary directory, optionally writes one import that breaks a layer, and
runs ``lint-imports`` there, so the real tree is never touched.
"""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import missing_service

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contract_name(contract_id: str) -> str:
    """The printed name of a contract, as ``lint-imports`` reports it."""
    parser = configparser.ConfigParser()
    parser.read(CONTRACTS, encoding="utf-8")
    return parser[f"importlinter:contract:{contract_id}"]["name"]


def copy_tree(tmp_path: Path) -> Path:
    """The packages the contracts name, plus the contract file, under ``tmp_path``."""
    for package in ("workflow", "blueprints", "config"):
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CONTRACTS, tmp_path / CONTRACTS.name)
    return tmp_path


def add_import(tree: Path, module: str, line: str) -> None:
    """Append one import statement to a module of the copied tree."""
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def lint(tree: Path) -> subprocess.CompletedProcess:
    """Run lint-imports on the copied tree only (cwd and PYTHONPATH both point at it)."""
    if not LINT_IMPORTS.exists():
        missing_service(f"{LINT_IMPORTS} is not installed (pip install -r requirements-dev.txt)")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=tree,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def test_untouched_copy_keeps_every_contract(tmp_path):
    result = lint(copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for contract_id in ("domain-layers", "no-web-in-domain", "web-api-cli-apart"):
        assert f"{contract_name(contract_id)} KEPT" in result.stdout


def test_domain_importing_the_web_layer_is_caught(tmp_path):
    tree = copy_tree(tmp_path)
    add_import(tree, "workflow/platform/base.py", "import blueprints  # noqa: E402,F401")
    result = lint(tree)
    assert result.returncode != 0
    assert f"{contract_name('no-web-in-domain')} BROKEN" in result.stdout
    assert "workflow.platform.base -> blueprints" in result.stdout


def test_core_importing_a_higher_domain_is_caught(tmp_path):
    tree = copy_tree(tmp_path)
    add_import(tree, "workflow/core/cases.py",
               "from workflow.assessment import figures  # noqa: E402,F401")
    result = lint(tree)
    assert result.returncode != 0
    assert f"{contract_name('domain-layers')} BROKEN" in result.stdout
    assert "workflow.core.cases -> workflow.assessment" in result.stdout
    # the other contracts still hold: the report names the one rule that broke
    assert f"{contract_name('no-web-in-domain')} KEPT" in result.stdout

