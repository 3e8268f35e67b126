"""The code types stay pure: no database driver, web framework or other onemap room."""

import subprocess
import sys
from pathlib import Path

CODE_MODULES = [
    "grid_codes.admin",
    "grid_codes.grid",
    "grid_codes.classes",
    "grid_codes.scheme_mapping",
    "grid_codes.component_id",
    "grid_codes.camera_id",
]
FORBIDDEN = [
    "psycopg",
    "psycopg2",
    "fastapi",
    "starlette",
    "pygeoapi",
    "gis",
    "layers",
    "tiles",
    "geocoder",
]


def test_code_modules_import_nothing_impure() -> None:
    script = (
        "import sys\n"
        f"for name in {CODE_MODULES!r}: __import__(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == ""
