-- The cases layer shows when each open case was reported: OGC API `datetime` filters on it, and the
-- one-map tiles carry it (so a style can fade older cases). Cached tiles of the layer are invalidated.
UPDATE onemap.layer
   SET properties = array_append(properties, 'reported_at'),
       data_version = data_version + 1, updated_at = now()
 WHERE name = 'cases' AND NOT 'reported_at' = ANY (properties);
