"""The city-management standards as code (GB/T 30428, GB/T 47678.5, GB/T 2260, GB/T 28181).

Pure value types with `parse()` / `str()` round-trips, and automatic unit-grid division;
no database, no web framework. Import each type from its module (`grid_codes.grid.GridCode`).
"""
