"""`onemap` starts without importing what only some commands need (the heavy imports live in them)."""

import subprocess
import sys

import pytest

from tests.gis.test_cli import run

# What each was pulled in by before the commands imported it themselves.
LAZY = {
    "fastapi": "gis.auth, layers.cases",
    "starlette": "gis.auth, layers.cases",
    "pygeofilter": "tiles.filters",
    "lark": "tiles.filters (pygeofilter's CQL2 grammar)",
    "morecantile": "tiles.tms",
    "httpx": "gis.demo.simulator",
    "pandas": "gis.cli.geocode and gis.cli.export (the survey import, for two constants)",
    "geopandas": "gis.cli.grid, the survey import",
    "shapely": "gis.cli.grid, the survey import",
    "scipy": "geocoder.gazetteer, layers.survey_validate",
    "pyogrio": "layers.survey_read",
    "python_calamine": "geocoder.batch",
}
GROUPS = ("db", "grid", "import", "geocode", "export", "token", "feeds", "serve", "tiles", "demo",
          "cases", "evaluate", "analysis")


@pytest.fixture(scope="module")
def loaded_at_start() -> set[str]:
    """Top-level packages imported by `import gis.cli.main`, in a fresh interpreter."""
    probe = "import sys, gis.cli.main; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                            check=True)
    return set(result.stdout.split())


@pytest.mark.parametrize("package", list(LAZY), ids=list(LAZY))
def test_the_command_line_starts_without(package: str, loaded_at_start: set[str]) -> None:
    assert package not in loaded_at_start, f"{package} is imported at start-up (it came via {LAZY[package]})"


def test_help_lists_every_command_group() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    missing = [group for group in GROUPS if f" {group} " not in result.stdout]
    assert not missing
