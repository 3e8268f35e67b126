"""Every analyst notebook runs top to bottom against the demo database (nbclient), so none can rot."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_there():
    assert {p.name for p in NOTEBOOKS} >= {
        "hotspots.ipynb",
        "campaign_effect.ipynb",
        "component_health.ipynb",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, history_db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", history_db_url)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [
        o
        for cell in notebook.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    assert os.environ["ONEMAP_DATABASE_URL"] == history_db_url
    if path.stem == "hotspots":
        html = "".join(
            str(o.get("data", {}).get("text/html", "")) for c in notebook.cells for o in c.get("outputs", [])
        )
        assert "folium" in html or "leaflet" in html.lower()
