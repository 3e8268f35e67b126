-- Component serial allocation (GB/T 30428.2 / GB/T 47678.5 component identifiers end in a
-- 6-digit serial per county and class). One counter row per (county, scheme, class); the
-- row lock taken by INSERT … ON CONFLICT DO UPDATE serialises concurrent imports, so two
-- imports can never receive the same serial.
CREATE TABLE onemap.component_serial (
    county_code text NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    scheme      text NOT NULL CHECK (scheme IN ('legacy', 'gb47678')),
    class_code  text NOT NULL CHECK (
        (scheme = 'legacy' AND class_code ~ '^[0-9]{4}$')
        OR (scheme = 'gb47678' AND class_code ~ '^[0-9]{5}$')),
    last_serial integer NOT NULL CHECK (last_serial BETWEEN 0 AND 999999),
    PRIMARY KEY (county_code, scheme, class_code)
);

-- Reserve `how_many` consecutive serials; returns the first. Raises when the 6-digit space
-- (999999 per county and class) would overflow.
CREATE FUNCTION onemap.allocate_component_serials(
    p_county text, p_scheme text, p_class text, how_many integer
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    last integer;
BEGIN
    IF how_many < 1 THEN
        RAISE EXCEPTION 'how_many must be positive, got %', how_many
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO onemap.component_serial AS s (county_code, scheme, class_code, last_serial)
    VALUES (p_county, p_scheme, p_class, how_many)
    ON CONFLICT (county_code, scheme, class_code)
        DO UPDATE SET last_serial = s.last_serial + how_many
    RETURNING last_serial INTO last;
    RETURN last - how_many + 1;
EXCEPTION WHEN check_violation THEN
    RAISE EXCEPTION 'component serials of class % in county % are exhausted (6 digits, 999999)',
        p_class, p_county USING ERRCODE = 'numeric_value_out_of_range';
END;
$$;
