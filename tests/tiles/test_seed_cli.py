"""`onemap tiles seed`: option parsing and its errors (the seeding itself: tests/tiles/test_cache.py)."""

import pytest
from typer.testing import CliRunner

from gis.cli.main import app
from gis.cli.tiles import parse_bbox, parse_zooms
from gis.errors import InvalidParameter


@pytest.mark.parametrize(("text", "zooms"), [("14", [14]), ("10-12", [10, 11, 12]), (" 0-0 ", [0])],
                         ids=["one", "range", "spaces"])
def test_zooms(text, zooms):
    assert parse_zooms(text) == zooms


@pytest.mark.parametrize("text", ["12-10", "x", "10-30", "-1", "10,12"],
                         ids=["reversed", "word", "too-deep", "negative", "list"])
def test_bad_zooms(text):
    with pytest.raises(InvalidParameter, match="--zooms"):
        parse_zooms(text)


@pytest.mark.parametrize("text", ["114,22,113,23", "1,2,3", "a,b,c,d", "114,-90,115,23"],
                         ids=["west-east", "three", "words", "beyond-mercator"])
def test_bad_bbox(text):
    with pytest.raises(InvalidParameter, match="--bbox"):
        parse_bbox(text)


def test_seeding_needs_a_disk_tier(monkeypatch):
    monkeypatch.delenv("ONEMAP_TILES_CACHE_DIR", raising=False)
    result = CliRunner().invoke(app, ["tiles", "seed", "--zooms", "12"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidParameter)
    assert "ONEMAP_TILES_CACHE_DIR" in str(result.exception)
