"""Where an import's report may be written: checked before the import runs, so that no survey is overwritten
and no committed import loses its report."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from gis.errors import ImportValidationError, InvalidParameter
from layers.import_report import check_report_path

ONEMAP = str(Path(sys.executable).with_name("onemap"))


@pytest.mark.parametrize(("report", "message"), [
    ("survey.json", "its CSV of rejections would overwrite"),  # survey.csv, the survey itself
    ("returned.json", "its file of refused rows would overwrite"),  # returned.rejected.gpkg, corrected
    ("missing/r.json", "folder .*missing does not exist"),
    ("r.csv", r"name it .json \(r.json\)"),
    ("delivery/r.json", "a folder to import"),
])
def test_a_report_that_would_overwrite_or_be_lost_is_refused(tmp_path, report, message):
    (tmp_path / "delivery").mkdir()
    inputs = [tmp_path / "survey.csv", tmp_path / "delivery", tmp_path / "returned.rejected.gpkg"]
    with pytest.raises(InvalidParameter, match=message):
        check_report_path(tmp_path / report, inputs)


def test_a_report_beside_the_surveys_is_accepted(tmp_path):
    (tmp_path / "delivery").mkdir()
    check_report_path(tmp_path / "r.json", [tmp_path / "survey.csv", tmp_path / "delivery"])
    check_report_path(Path("r.json"), [tmp_path / "survey.csv"])  # the working folder


def test_cli_refuses_before_importing_and_leaves_the_survey_as_it_was(db_url, tmp_path):
    survey = tmp_path / "survey.csv"
    text = "部件名称,小类代码,经度,纬度\n污水井盖,01037,114.01,22.53\n"
    survey.write_text(text, encoding="utf-8")
    done = subprocess.run([ONEMAP, "import", "components", str(survey), "--report",
                           str(tmp_path / "survey.json")], env={**os.environ, "ONEMAP_DATABASE_URL": db_url},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr  # refused input, as every option refused before reading
    assert "its CSV of rejections would overwrite" in done.stderr
    assert survey.read_text(encoding="utf-8") == text
    assert not (tmp_path / "survey.json").exists()
    unknown_crs = subprocess.run([ONEMAP, "import", "components", str(survey), "--crs", "EPSG:99999"],
                                 env={**os.environ, "ONEMAP_DATABASE_URL": db_url}, capture_output=True,
                                 text=True, timeout=300)
    assert unknown_crs.returncode == 3 and "99999" in unknown_crs.stderr, unknown_crs.stderr


@pytest.mark.parametrize(("companion", "fate"), [
    ("keep.csv", "CSV of rejections would overwrite it"),
    ("keep.rejected.gpkg", "file of refused rows would overwrite or remove it"),
], ids=["csv", "gpkg"])
def test_a_file_beside_the_report_that_no_report_wrote_is_refused(tmp_path, companion, fate):
    """keep.csv of the user's own beside --report keep.json was overwritten without a word (and a
    keep.rejected.gpkg removed when no row was refused)."""
    (tmp_path / companion).write_text("file,row\nthe user's own\n", encoding="utf-8")
    (tmp_path / "keep-2.csv").write_text("taken too", encoding="utf-8")
    report = tmp_path / "keep.json"
    with pytest.raises(ImportValidationError) as refused:
        check_report_path(report, [tmp_path / "survey.csv"])
    assert str(refused.value) == (f"--report {report}: {tmp_path / companion} exists and no onemap report "
                                  f"wrote it: the report's {fate}; name the report otherwise, e.g. --report "
                                  f"{tmp_path / 'keep-3.json'}")


def test_an_earlier_reports_csv_beside_the_report_is_written_over(tmp_path):
    (tmp_path / "keep.csv").write_text("\ufefffile,row,field,reason\r\nsurvey.csv,2,state,…\r\n",
                                       encoding="utf-8")
    check_report_path(tmp_path / "keep.json", [tmp_path / "survey.csv"])


def test_cli_refuses_a_report_whose_csv_would_overwrite_a_users_file(db_url, tmp_path):
    survey = tmp_path / "survey.csv"
    survey.write_text("部件名称,小类代码,经度,纬度\n污水井盖,01037,114.01,22.53\n", encoding="utf-8")
    (tmp_path / "keep.csv").write_text("my own table\n", encoding="utf-8")
    done = subprocess.run([ONEMAP, "import", "components", "survey.csv", "--report", "keep.json"],
                          cwd=tmp_path, env={**os.environ, "ONEMAP_DATABASE_URL": db_url},
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stderr) == (3, (
        "onemap: error: --report keep.json: keep.csv exists and no onemap report wrote it: the report's CSV "
        "of rejections would overwrite it; name the report otherwise, e.g. --report keep-2.json\n"))
    assert (tmp_path / "keep.csv").read_text(encoding="utf-8") == "my own table\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv", "survey.csv"]


def test_skip_invalid_with_every_row_rejected_exits_as_a_rejected_import(db_url, tmp_path):
    """Scripts read the exit code: --skip-invalid that loaded nothing is no success."""
    survey = tmp_path / "survey.csv"
    survey.write_text("小类代码,经度,纬度,主管部门名称\n01003,120.0,22.531,福田区城管局\n", encoding="utf-8")
    done = subprocess.run([ONEMAP, "import", "components", str(survey), "--skip-invalid"], cwd=tmp_path,
                          env={**os.environ, "ONEMAP_DATABASE_URL": db_url}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        "onemap: error: every one of the 1 rows was rejected; nothing was loaded (see onemap-import-")


def test_a_rejected_dry_run_says_what_the_import_would_do_and_the_batch_counts_rows(db_url, tmp_path):
    """Two problems in one row are one rejected row in the audit table, as in the report."""
    survey = tmp_path / "survey.csv"
    survey.write_text("小类代码,经度,纬度,主管部门名称,部件状态,初始日期\n"
                      "01003,120.0,22.531,福田区城管局,坏了,2024-13-45\n", encoding="utf-8")
    done = subprocess.run([ONEMAP, "import", "components", str(survey), "--dry-run"], cwd=tmp_path,
                          env={**os.environ, "ONEMAP_DATABASE_URL": db_url}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 3, done.stderr
    assert "would load 0 of 1 rows" in done.stdout
    assert done.stderr.splitlines()[-1].startswith(
        "onemap: error: 3 problem(s) in 1 rows; the import would load nothing (see onemap-import-")
    batch = int(done.stdout.split("batch ")[1].split(":")[0])
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT rows_rejected FROM onemap.import_batch WHERE id = %s",
                            (batch,)).fetchone() == (1,)
