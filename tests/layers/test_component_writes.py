"""Writers of the component inventory take turns (layers.component_writes): an import that waits for
another write sees it in its checks and stamps its versions after it, so histories never overlap."""

import threading
import time
from pathlib import Path

import psycopg

from gis.auth import create_token
from layers.component_writes import lock_component_writes
from layers.survey_import import ImportOptions, ImportResult, import_components
from tests.gis.conftest import ogc_app_client
from tests.layers.test_survey_import import DEPT, _points_in_city, _run, _write

LAMP = "01002"
LAMP_ID = "44030401002123456"


def _waiting_for_a_lock(db_url: str, timeout_s: float = 10.0) -> bool:
    """Whether another session waits on a lock (the writer started in a thread), polled until `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(db_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database()").fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


def _in_thread(target) -> tuple[threading.Thread, list]:
    results: list = []
    thread = threading.Thread(target=lambda: results.append(target()))
    thread.start()
    return thread, results


def _overlaps(db_url: str, identifier: str) -> int:
    with psycopg.connect(db_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM onemap.component a JOIN onemap.component b "
            "ON a.id = b.id AND a.version_id < b.version_id "
            "AND tstzrange(a.valid_from, a.valid_to) && tstzrange(b.valid_from, b.valid_to) "
            "WHERE a.id = %s", (identifier,)).fetchone()[0]


def test_an_import_begun_before_a_delete_committed_starts_its_version_after_it(fresh_db_url,
                                                                              tmp_path: Path):
    """The import's transaction begins, then a DELETE through the API closes the component and commits;
    the import's new version must start after that close, not at its own transaction's start."""
    with psycopg.connect(fresh_db_url) as conn:
        spot = _points_in_city(conn, 1, seed=21)
    first = _write(tmp_path / "v1.gpkg", [{"GLBJBSM": LAMP_ID, "ZGBMMC": DEPT}], spot)
    assert _run(fresh_db_url, [first]).status == "committed"
    edited = _write(tmp_path / "v2.gpkg", [{"GLBJBSM": LAMP_ID, "ZGBMMC": DEPT, "GLBJZT": "破损"}], spot)
    with psycopg.connect(fresh_db_url) as deleter:
        lock_component_writes(deleter)
        # holds the import right after its BEGIN even where it would take no write lock (without the fix)
        deleter.execute("LOCK TABLE onemap.import_batch IN SHARE MODE")
        thread, results = _in_thread(lambda: _run(fresh_db_url, [edited], mode="upsert"))
        assert _waiting_for_a_lock(fresh_db_url)
        deleted_at = deleter.execute("SELECT clock_timestamp()").fetchone()[0]
        deleter.execute("UPDATE onemap.component SET valid_to = %s, closed_by = 'deleter' "
                        "WHERE id = %s AND valid_to IS NULL", (deleted_at, LAMP_ID))
        deleter.commit()
    thread.join()
    assert results[0].status == "committed"
    with psycopg.connect(fresh_db_url) as conn:
        versions = conn.execute("SELECT valid_from, valid_to, state FROM onemap.component WHERE id = %s "
                                "ORDER BY valid_from", (LAMP_ID,)).fetchall()
    assert [v[2] for v in versions] == ["完好", "破损"]
    assert versions[0][1] == deleted_at < versions[1][0]
    assert _overlaps(fresh_db_url, LAMP_ID) == 0


def test_an_import_that_waited_sees_the_component_the_other_write_put_at_its_position(fresh_db_url,
                                                                                     tmp_path: Path):
    with psycopg.connect(fresh_db_url) as conn:
        spot = _points_in_city(conn, 1, seed=22)
    ours = _write(tmp_path / "ours.gpkg", [{"ZGBMMC": DEPT}], spot)
    theirs = _write(tmp_path / "theirs.gpkg", [{"ZGBMMC": DEPT}], spot)
    with psycopg.connect(fresh_db_url) as first:  # an import still publishing
        lock_component_writes(first)
        loaded: ImportResult = import_components(first, [ours], ImportOptions(actor="first", class_code=LAMP))
        assert loaded.status == "committed"
        thread, results = _in_thread(lambda: _run(fresh_db_url, [theirs], class_code=LAMP))
        assert _waiting_for_a_lock(fresh_db_url)
        first.commit()
    thread.join()
    assert results[0].status == "rejected"
    assert [r.field for r in results[0].rejections] == ["geometry"]
    with psycopg.connect(fresh_db_url) as conn:
        near = conn.execute("SELECT count(*) FROM onemap.component WHERE valid_to IS NULL "
                            "AND class_code = %s "
                            "AND ST_DWithin(geom::geography, ST_GeomFromWKB(%s, 4490)::geography, 0.5)",
                            (LAMP, spot[0].wkb)).fetchone()[0]
    assert near == 1


def test_an_api_delete_waits_for_a_write_in_progress_and_closes_the_version_after_it(
        settings, fresh_db_url, tmp_path: Path):
    with psycopg.connect(fresh_db_url) as conn:
        spot = _points_in_city(conn, 1, seed=23)
        token = create_token(conn, name="deleter", role="editor", created_by="tests")
    survey = _write(tmp_path / "lamp.gpkg", [{"GLBJBSM": LAMP_ID, "ZGBMMC": DEPT}], spot)
    assert _run(fresh_db_url, [survey]).status == "committed"
    with ogc_app_client(settings, fresh_db_url) as client, psycopg.connect(fresh_db_url) as importer:
        lock_component_writes(importer)  # an import in progress
        thread, results = _in_thread(lambda: client.delete(
            f"/collections/components/items/{LAMP_ID}", headers={"Authorization": f"Bearer {token}"}))
        assert _waiting_for_a_lock(fresh_db_url)
        importer_done = importer.execute("SELECT clock_timestamp()").fetchone()[0]
        importer.commit()
        thread.join()
    assert results[0].status_code == 204
    with psycopg.connect(fresh_db_url) as conn:
        closed_at = conn.execute("SELECT valid_to FROM onemap.component WHERE id = %s",
                                 (LAMP_ID,)).fetchone()[0]
    assert closed_at > importer_done
