-- Rows of one import after validation and location in Python, before they are published.
CREATE TEMP TABLE survey_staging (
    row_idx              integer PRIMARY KEY,
    id                   text,
    class_code           text NOT NULL,
    name                 text NOT NULL,
    competent_dept_code  text,
    competent_dept_name  text,
    owner_dept_code      text,
    owner_dept_name      text,
    maintainer_dept_code text,
    maintainer_dept_name text,
    state                text NOT NULL,
    initial_date         date,
    change_date          date,
    data_source          text,
    note                 text,
    attributes           jsonb NOT NULL,
    geometry_type        text NOT NULL,
    geom                 geometry(Geometry, 4490) NOT NULL,
    grid_code            text,
    community_code       text,
    county_code          text,
    serial_rank          integer, -- rows without an identifier: rank within (county, class)
    fields_carried       text[],  -- upsert: the standard fields the row's file has columns for
    attributes_carried   text[],  -- upsert: the free attributes the row's file has columns for
    version_until        timestamptz  -- upsert, replace: the exported version's start + its precision
) ON COMMIT DROP
