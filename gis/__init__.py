"""The onemap platform: settings, database, migrations, CRS, the app factory and the CLI."""
