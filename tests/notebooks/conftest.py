"""The notebooks run against a clone of the demo city with the demo case history loaded."""

from tests.gis.analysis.conftest import history_db_url  # noqa: F401  (the shared fixture)
