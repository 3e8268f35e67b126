import psycopg
import pytest

from gis import migrations
from gis.errors import MigrationError
from gis.migrations import Migration, applied_versions, available, migrate


def test_migrations_apply_in_order_then_rerun_is_a_no_op(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        first = migrate(conn)
        second = migrate(conn)
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'onemap'")}
    assert [m.version for m in first] == [m.version for m in available()]
    assert second == []
    assert {"admin_area", "unit_grid", "road", "layer", "schema_migration"} <= tables


def test_stored_geometries_are_cgcs2000_with_a_generated_web_mercator_copy(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
        columns = dict(conn.execute(
            "SELECT f_table_name || '.' || f_geometry_column, srid FROM geometry_columns "
            "WHERE f_table_schema = 'onemap' AND f_table_name IN ('admin_area', 'unit_grid', 'road')"
        ).fetchall())
        conn.execute(
            "INSERT INTO onemap.admin_area (code, level, name, vintage, source, geom) VALUES "
            "('440304', 'county', 't', 2023, 'test', "
            "ST_Multi(ST_MakeEnvelope(114.0, 22.5, 114.01, 22.51, 4490)))")
        x3857 = conn.execute("SELECT ST_XMin(geom_3857) FROM onemap.admin_area").fetchone()
    assert columns == {
        "admin_area.geom": 4490, "admin_area.geom_3857": 3857,
        "unit_grid.geom": 4490, "unit_grid.geom_3857": 3857,
        "road.geom": 4490, "road.geom_3857": 3857,
    }
    assert x3857 is not None
    assert x3857[0] == pytest.approx(114.0 * 20037508.342789244 / 180, abs=0.01)


def test_edited_applied_migration_is_refused(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
        conn.execute("UPDATE onemap.schema_migration SET checksum = 'edited' WHERE version = 1")
        conn.commit()
        with pytest.raises(MigrationError, match="changed after it was applied"):
            migrate(conn)


def test_a_database_of_the_other_shipped_history_upgrades(empty_db_url, monkeypatch):
    """onemap once shipped 0006, 0008 and 0010 with the shared trigger helpers already in them:
    such a database (their checksums, the helpers present) migrates, and the helpers work."""
    shipped = available()
    helpers = next(m for m in shipped if m.name == "shared_trigger_helpers")
    monkeypatch.setattr(migrations, "available", lambda: [m for m in shipped if m.version < helpers.version])
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
        conn.execute(helpers.sql)  # the state that history left: helpers in, per-table functions gone
        for version, checksums in migrations.ALSO_SHIPPED.items():
            conn.execute("UPDATE onemap.schema_migration SET checksum = %s WHERE version = %s",
                         (next(iter(checksums)), version))
        conn.commit()
        monkeypatch.setattr(migrations, "available", lambda: shipped)
        upgraded = [m.version for m in migrate(conn)]
        assert upgraded == [m.version for m in shipped if m.version >= helpers.version]
        before = conn.execute("SELECT data_version FROM onemap.layer WHERE name = 'hotspots'").fetchone()
        conn.execute("TRUNCATE onemap.hotspot_cell")
        after = conn.execute("SELECT data_version FROM onemap.layer WHERE name = 'hotspots'").fetchone()
    assert before is not None and after == (before[0] + 1,)


def test_database_from_a_newer_onemap_is_refused(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
        conn.execute("INSERT INTO onemap.schema_migration VALUES (9999, 'future', 'x', now())")
        conn.commit()
        with pytest.raises(MigrationError, match="newer onemap"):
            migrate(conn)


def test_failing_migration_rolls_back_entirely(empty_db_url, monkeypatch):
    broken = Migration(9000, "broken", "CREATE TABLE onemap.half_done (x int); SELECT 1/0;")
    shipped = available()
    monkeypatch.setattr(migrations, "available", lambda: [*shipped, broken])
    with psycopg.connect(empty_db_url) as conn:
        with pytest.raises(MigrationError, match=r"9000_broken\.sql failed and was rolled back"):
            migrate(conn)
        assert 9000 not in applied_versions(conn)
        assert conn.execute("SELECT to_regclass('onemap.half_done')").fetchone() == (None,)
        assert set(applied_versions(conn)) == {m.version for m in shipped}


def test_layer_registry_lists_the_base_layers(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrate(conn)
        names = [r[0] for r in conn.execute("SELECT name FROM onemap.layer ORDER BY sort_order, name")]
    base = ["counties", "streets", "communities", "unit_grid", "roads", "components"]
    assert [name for name in names if name in base] == base, "drawn bottom first"
    assert set(names) == {*base, "resp_grids", "hotspots", "camera_sectors", "cameras", "cases", "vehicles"}


# A migration, once shipped, is never edited: databases that applied it refuse a changed file
# (MigrationError), so a change goes into a new migration. A new migration adds its line here.
SHIPPED = {
    1: "401214f4d68881583d3417ed6af5fe2f8ba05617eca63a9025fd6062c87f9e9c",  # base
    2: "44a3dac75b5c9c24c769921f0f0588d5a2f57c51c365bc487d885267752301ea",  # component_serials
    3: "445af41e547a5a8f3ca1f0e609a2cdef6aac93b792d06fe370c0aa82fd811e6a",  # components
    4: "1c3d1d96d3d1d86fcd3fb50723d75ef83fdd1656d1c5898c8b6fdc233c9bcd07",  # auth
    5: "f99a15e2c78d8a0f8167036d5397745f281bd1b3d2daf7794f53b98fedf5dcf0",  # feeds
    6: "b3e0a66213c58a613c014fb976e58f581051f29d92f2a1109be22842429bffd3",  # cases
    7: "6b5ddc6e78c4c299dbbf3ca42ab8cd4e764451703348df11f200c6aaf0688ba4",  # gazetteer
    8: "c5f86b2b2ca32beb61ad68fb03a88e7796adfce6e86da82f8560d974e127a000",  # tiles
    9: "f795bdbc08d69ef1dbf14bf192ba3ddd4dc5eac09437f74811bb65726c18d59e",  # component_closed_by
    10: "c420be8f68b82cbb187479898eda1a2e50204028551b984d9e4bdd25839abe0e",  # analysis
    11: "4c19558bb04c53951448bde1d725f770d40f344bca2b6fd9fa2d61681ad96a49",  # component_tile_properties
    12: "ab89f3662fa1831dff443fbd202cd814ab59ea4f5ca37c6d1d0b9f99c92564c2",  # tile_cells_by_finest_level
    13: "fb7266e6ea8570a8ff94229128a96b8c2ff2e1a48dbc71b396ff59e80aaf096c",  # component_code_checks
    14: "3212680ea3206b0a15fc5dbadd2aff7244bd87af74a4f8b1dc5fe5e28c75be67",  # component_batch_check
    15: "7fa92845633bbef6578f84ab5627e6d1a0679f7cab4cf627b9d29834411aab12",  # shared_trigger_helpers
    16: "35e85c413638b715df6914bd0c432f5ec681c76be54798a6c0f78c7023ba92ee",  # count_trigger_hash_grouping
    17: "1fcc0e2fd9c9eba849ba8d79fa7980cf07b6b7ef3cbdd43e215bd7c2f743d641",  # case_reported_at
    18: "d08236a67b1c5271d7cbed3f5877d2ae9e0dcfafc3b8b7364a80b13fe63f0656",  # hotspot_one_day_period
    19: "86724b13c31621d1018230408bae8ab464e836f2573ab1c09f88ca1638fe6bc7",  # import_batch_delete_mode
}


def test_shipped_migrations_are_never_edited():
    shipped = {m.version: m.checksum for m in available()}
    edited = [f"{v:04d}" for v, checksum in SHIPPED.items() if shipped.get(v) != checksum]
    assert not edited, f"migrations {edited} were edited after they shipped: restore them, add a new one"
    assert set(shipped) == set(SHIPPED), "a new migration: add its checksum to SHIPPED"
