"""Aggregation of cases to units (zero-case units included, filters) and the demo history's clusters."""

from datetime import date

import numpy as np
import psycopg
import pytest

from gis.analysis.aggregate import CaseFilter, case_counts, case_points
from gis.analysis.hotspots import HotspotOptions, analyse
from gis.demo import cases_history
from gis.errors import InvalidParameter

YEAR = CaseFilter(date(2025, 11, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def conn(history_db_url: str):
    with psycopg.connect(history_db_url) as connection:
        yield connection


def test_zero_case_cells_are_included(conn):
    units = conn.execute("SELECT count(*) FROM onemap.v_unit_grid").fetchone()[0]
    counts = case_counts(conn, "grid", CaseFilter(date(2026, 1, 5), date(2026, 1, 5), classes=("08004",)))
    assert len(counts.codes) == units == 1398
    assert (counts.cases == 0).sum() > 1300
    assert counts.codes == sorted(counts.codes)


def test_an_empty_period_counts_zero_everywhere(conn):
    counts = case_counts(conn, "street", CaseFilter(date(2020, 1, 1), date(2020, 1, 31)))
    assert len(counts.codes) == 3 and counts.cases.sum() == 0
    assert analyse(counts).gi is None


@pytest.mark.parametrize("level,units", [("grid", 1398), ("community", 33), ("street", 3)])
def test_every_level_sums_to_the_cases_in_its_units(conn, level, units):
    counts = case_counts(conn, level, YEAR)
    in_grid = conn.execute("SELECT count(*) FROM onemap.city_case WHERE grid_code IS NOT NULL").fetchone()[0]
    assert len(counts.codes) == units
    assert counts.cases.sum() == in_grid


def test_filters(conn):
    everything = case_counts(conn, "street", YEAR).cases.sum()
    markets = case_counts(
        conn, "street", CaseFilter(YEAR.date_from, YEAR.date_to, classes=("09",))
    ).cases.sum()
    exact = conn.execute("SELECT count(*) FROM onemap.city_case WHERE class_code LIKE '09%'").fetchone()[0]
    assert markets == exact and 0 < markets < everything
    components = case_counts(conn, "street", CaseFilter(YEAR.date_from, YEAR.date_to, kind="component"))
    hotline = case_counts(
        conn, "street", CaseFilter(YEAR.date_from, YEAR.date_to, sources=("hotline_12345",))
    )
    open_ = case_counts(conn, "street", CaseFilter(YEAR.date_from, YEAR.date_to, states=("dispatched",)))
    assert 0 < components.cases.sum() < everything and 0 < hotline.cases.sum() < everything
    assert 0 < open_.cases.sum() < everything
    assert len(case_points(conn, CaseFilter(YEAR.date_from, YEAR.date_to, classes=("09",)))) == markets


@pytest.mark.parametrize(
    "bad",
    [
        {"classes": ("06%",)},
        {"kind": "incident"},
        {"sources": ("Hotline",)},
        {"within": "44x"},
    ],
    ids=["class-wildcard", "kind", "source", "area"],
)
def test_bad_filters_are_refused(bad):
    with pytest.raises(InvalidParameter):
        CaseFilter(date(2026, 1, 1), date(2026, 1, 31), **bad)


def test_a_reversed_period_is_refused():
    with pytest.raises(InvalidParameter, match="ends"):
        CaseFilter(date(2026, 2, 1), date(2026, 1, 1))


def test_the_demo_history_has_hot_spots_at_its_markets(conn):
    result = analyse(
        case_counts(conn, "grid", CaseFilter(YEAR.date_from, YEAR.date_to, classes=("06010",))),
        HotspotOptions(permutations=99999, fdr=True),
    )
    assert (result.bins == 3).sum() >= 10  # 暴露垃圾 concentrates around the markets
    hot = [result.units.codes[i] for i in np.flatnonzero(result.bins == 3)]
    markets = cases_history.cluster_centres(conn)["markets"]
    distances = conn.execute(
        "SELECT min(ST_Distance(ST_Centroid(g.geom)::geography, "
        "ST_SetSRID(ST_MakePoint(m.x, m.y), 4490)::geography)) "
        "FROM onemap.v_unit_grid g, unnest(%s::float8[], %s::float8[]) AS m(x, y) WHERE g.code = ANY(%s) "
        "GROUP BY g.code",
        (markets[:, 0].tolist(), markets[:, 1].tolist(), hot),
    ).fetchall()
    assert len(distances) == len(hot)
    assert max(d for (d,) in distances) < 600  # every 99 % hot spot lies by a market


def test_the_demo_history_is_reproducible(conn):
    first = cases_history.generate(conn)
    again = cases_history.generate(conn)
    assert first == again
    stored = conn.execute("SELECT count(*) FROM onemap.city_case WHERE case_no LIKE 'DEMO-H%'").fetchone()[0]
    assert stored == len(first)
