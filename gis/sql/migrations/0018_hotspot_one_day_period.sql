-- A hot spot analysis of a single day stores period_from = period_to: `to` is the last day of the
-- period, inclusive, so the period only has to not end before it starts.
ALTER TABLE onemap.hotspot_cell
    DROP CONSTRAINT hotspot_cell_check,
    ADD CONSTRAINT hotspot_cell_period_check CHECK (period_to >= period_from);
