"""The layers of pyproject.toml's import-linter contracts hold in this tree, and the
same contracts refuse an import that runs back up (on a tree made for the test)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(config), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_tree_keeps_its_layers() -> None:
    result = lint_imports(ROOT, ROOT / "pyproject.toml")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def tree_with(tmp_path: Path, modules: dict[str, str]) -> Path:
    """A tree of empty root packages (and stand-ins for the external ones), with these
    modules and the project's contracts."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for package in config["root_packages"]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for external in ("sqlalchemy", "httpx", "aiohttp", "fastapi", "temporalio", "redis"):
        (tmp_path / f"{external}.py").write_text("")
    (tmp_path / "api" / "routes").mkdir()
    (tmp_path / "api" / "routes" / "__init__.py").write_text("")
    # The imports the contracts allow by name must exist for their ignores to match.
    modules = {
        "workflows/contracts.py": "",
        "workflows/step_row.py": "",
        "db/tables.py": "",
        "api/load_shedding.py": "import temporalio\n",
        "api/routes/codec.py": "import temporalio\n",
        **modules,
    }
    for path, source in modules.items():
        (tmp_path / path).write_text(source)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    return tmp_path


def test_an_import_that_runs_back_up_is_refused(tmp_path: Path) -> None:
    # The domain reaching for the database: what the layers forbid.
    tree = tree_with(tmp_path, {"domain/order.py": "import db.tables\n"})

    result = lint_imports(tree, tree / "pyproject.toml")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "domain.order -> db.tables" in result.stdout
    assert "2 broken" in result.stdout  # the layers and the purity contract both


def test_a_route_that_reads_a_table_itself_is_refused(tmp_path: Path) -> None:
    # Allowed by the layers (api is above db), refused by the "one way in" contract.
    tree = tree_with(tmp_path, {"api/routes/orders.py": "import db.tables\n"})

    result = lint_imports(tree, tree / "pyproject.toml")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "api.routes.orders -> db.tables" in result.stdout
    assert "1 broken" in result.stdout
