"""`onemap cases …` and `onemap evaluate`, run as a user runs them."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import template_clone
from tests.gis.test_cli import run


@pytest.fixture(scope="module")
def url(server_url: str, db_url: str) -> Iterator[str]:
    with template_clone(server_url, "onemap_test_cases_cli") as clone:
        yield clone


def onemap(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run(*args, ONEMAP_DATABASE_URL=url)


def test_deadline_of_a_manhole_cover_before_the_national_day_holiday(url):
    result = onemap(
        url,
        "cases",
        "deadline",
        "--class",
        "01002",
        "--kind",
        "event",
        "--urgency",
        "C",
        "--at",
        "2026-09-30T16:05:00",
    )
    assert result.returncode == 0, result.stderr
    # 4 working hours: 1 h 55 on 30 September, 2 h 05 on Thursday 8 October (1–7 October are off)
    assert "deadline 2026-10-08 11:05 Thu" in result.stdout


def test_calendar_show_lists_make_up_workdays(url):
    result = onemap(url, "cases", "calendar", "show", "--year", "2026")
    assert result.returncode == 0 and "2026-10-10  workday  国庆节调休上班" in result.stdout


def test_a_bad_calendar_file_names_file_line_and_field(url, tmp_path: Path):
    bad = tmp_path / "cal.csv"
    bad.write_text("date,workday,name\n2027-01-01,false,元旦\n2027-02-30,false,x\n", encoding="utf-8")
    result = onemap(url, "cases", "calendar", "load", str(bad))
    assert result.returncode == 2
    assert f"{bad} line 3: field date '2027-02-30'" in result.stderr and "Traceback" not in result.stderr


def test_loading_a_calendar_changes_deadlines(url, tmp_path: Path):
    extra = tmp_path / "cal2027.csv"
    extra.write_text("date,workday,name\n2027-01-04,false,test holiday\n", encoding="utf-8")
    assert onemap(url, "cases", "calendar", "load", str(extra)).returncode == 0
    result = onemap(
        url, "cases", "deadline", "--class", "06001", "--urgency", "A", "--at", "2027-01-01T10:00:00+08:00"
    )
    assert "deadline 2027-01-05 10:00 Tue" in result.stdout  # Friday + 1 day, Monday 4 January off


def test_department_rules_need_a_catch_all(url, tmp_path: Path):
    rules = tmp_path / "departments.csv"
    rules.write_text(
        "scheme,kind,class_prefix,area_prefix,department\ngb47678,event,06,,城管\n", encoding="utf-8"
    )
    result = onemap(url, "cases", "rules", "load-departments", str(rules))
    assert result.returncode == 2 and "catch-all rule" in result.stderr
    shown = onemap(url, "cases", "rules", "show")
    assert shown.returncode == 0 and "区水务局" in shown.stdout  # unchanged


def test_trickle_reports_demo_cases(url):
    with psycopg.connect(url) as conn:
        before = conn.execute("SELECT count(*) FROM onemap.city_case").fetchone()
    result = onemap(url, "cases", "trickle", "--count", "4", "--interval", "0", "--seed", "7")
    assert result.returncode == 0, result.stderr
    with psycopg.connect(url) as conn:
        after = conn.execute("SELECT count(*) FROM onemap.city_case").fetchone()
        grids = conn.execute("SELECT count(*) FROM onemap.city_case WHERE grid_code IS NULL").fetchone()
    assert before is not None and after is not None and after[0] > before[0]
    assert grids == (0,)


def test_evaluate_prints_csv_and_refuses_unknown_groupings(url):
    result = onemap(
        url, "evaluate", "--by", "street", "--start", "2026-01-01", "--end", "2100-01-01", "--format", "csv"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("key,name,reported,cancelled,self_handled,filed")
    bad = onemap(url, "evaluate", "--by", "planet", "--start", "2026-01-01", "--end", "2026-02-01")
    assert bad.returncode == 2 and "by 'planet'" in bad.stderr


def test_resp_grids_command(url):
    result = onemap(url, "cases", "resp-grids", "--within", "440304001", "--cells-per-grid", "5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("responsibility grids")
