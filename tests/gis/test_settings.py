from pathlib import Path

import pytest

from gis.settings import REPOSITORY_ROOT, Settings


def test_defaults_need_no_environment(monkeypatch):
    for name in ("ONEMAP_DATABASE_URL", "ONEMAP_HOME", "ONEMAP_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url is None
    assert settings.home == REPOSITORY_ROOT / ".onemap"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_with_onemap_prefix_is_read(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", "postgresql://u:secret@db.example:5433/city")
    monkeypatch.setenv("ONEMAP_HOME", str(tmp_path))
    monkeypatch.setenv("ONEMAP_PORT", "9100")
    settings = Settings()
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value().endswith("@db.example:5433/city")
    assert settings.home == tmp_path
    assert settings.port == 9100


def test_database_password_never_appears_in_repr(monkeypatch):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", "postgresql://u:secret@db.example/city")
    assert "secret" not in repr(Settings())


def test_invalid_value_is_rejected_naming_the_field(monkeypatch):
    monkeypatch.setenv("ONEMAP_PORT", "eighty")
    with pytest.raises(ValueError, match="port"):
        Settings()


def test_the_city_time_zone_is_read_by_its_name_and_by_its_earlier_one(monkeypatch):
    monkeypatch.delenv("ONEMAP_CASE_TIMEZONE", raising=False)
    monkeypatch.delenv("ONEMAP_TIMEZONE", raising=False)
    assert Settings().zone.key == "Asia/Shanghai"
    monkeypatch.setenv("ONEMAP_CASE_TIMEZONE", "Asia/Urumqi")
    assert Settings().zone.key == "Asia/Urumqi"
    monkeypatch.setenv("ONEMAP_TIMEZONE", "Asia/Harbin")
    assert Settings().zone.key == "Asia/Harbin"


def test_an_unknown_time_zone_is_refused_at_start_up(monkeypatch):
    monkeypatch.setenv("ONEMAP_TIMEZONE", "Beijing")
    with pytest.raises(ValueError, match="unknown time zone 'Beijing'"):
        Settings()
