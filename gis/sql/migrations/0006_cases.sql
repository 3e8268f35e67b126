-- Cases (案件, issue 7): the case register, its workflow history, the rules that assign a
-- department and a deadline, the working-day calendar, and the responsibility grids (责任网格).
--
-- Deadlines are computed by onemap (layers/case_deadline.py) from the calendar and the rules
-- when a case is created; the row stores the deadline and the instant the case becomes
-- "due soon", so the open-case view classifies on_time / due_soon / overdue with no calendar
-- arithmetic in SQL.

-- A grid inspector (网格员, 采集员) reports cases, verifies them and may self-handle minor ones.
ALTER TABLE onemap.api_token DROP CONSTRAINT IF EXISTS api_token_role_check;
ALTER TABLE onemap.api_token ADD CONSTRAINT api_token_role_check
    CHECK (role IN ('viewer', 'editor', 'dispatcher', 'inspector', 'admin'));

-- Working-day calendar: only the exceptions to "Monday to Friday are working days" are stored:
-- public holidays (workday false) and make-up working days on weekends (调休, workday true).
CREATE TABLE onemap.work_calendar (
    day     date PRIMARY KEY,
    workday boolean NOT NULL,
    name    text NOT NULL DEFAULT ''
);

-- Deadline rules: the most specific matching rule wins (longest class prefix, then a rule for
-- the kind over one for any kind, then a rule for the urgency over one for any urgency).
-- unit: workday (working days), workhour (working hours), hour (clock hours).
CREATE TABLE onemap.case_deadline_rule (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scheme       text CHECK (scheme IN ('legacy', 'gb47678')),
    kind         text CHECK (kind IN ('event', 'component')),
    class_prefix text NOT NULL DEFAULT '' CHECK (class_prefix ~ '^[0-9]{0,5}$'),
    urgency      char(1) CHECK (urgency IN ('A', 'B', 'C')),
    amount       numeric NOT NULL CHECK (amount > 0 AND amount <= 366),
    unit         text NOT NULL CHECK (unit IN ('workday', 'workhour', 'hour')),
    note         text NOT NULL DEFAULT '',
    UNIQUE NULLS NOT DISTINCT (scheme, kind, class_prefix, urgency)
);

-- Department rules (派遣规则): by kind, class prefix and area (admin or grid code prefix); the
-- most specific wins (longest class prefix, then longest area prefix, then a kind over any).
CREATE TABLE onemap.case_dispatch_rule (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scheme       text CHECK (scheme IN ('legacy', 'gb47678')),
    kind         text CHECK (kind IN ('event', 'component')),
    class_prefix text NOT NULL DEFAULT '' CHECK (class_prefix ~ '^[0-9]{0,5}$'),
    area_prefix  text NOT NULL DEFAULT '' CHECK (area_prefix ~ '^[0-9]{0,15}$'),
    department   text NOT NULL CHECK (length(department) BETWEEN 1 AND 100),
    UNIQUE NULLS NOT DISTINCT (scheme, kind, class_prefix, area_prefix)
);

CREATE FUNCTION onemap.case_department(p_kind text, p_class text, p_area text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT department FROM onemap.case_dispatch_rule
    WHERE (kind IS NULL OR kind = p_kind)
      AND (scheme IS NULL OR scheme = CASE length(p_class) WHEN 4 THEN 'legacy' ELSE 'gb47678' END)
      AND starts_with(p_class, class_prefix)
      AND starts_with(coalesce(p_area, ''), area_prefix)
    ORDER BY length(class_prefix) DESC, length(area_prefix) DESC, (kind IS NOT NULL) DESC,
             (scheme IS NOT NULL) DESC
    LIMIT 1
$$;

-- Responsibility grids (责任网格): groups of unit grid cells inside one community, each with its
-- inspector; the fourth level of 区 / 街道 / 社区 / 责任网格. Code: community code + 'R' + 2 digits.
CREATE TABLE onemap.resp_grid (
    code           text PRIMARY KEY CHECK (code ~ '^[0-9]{12}R[0-9]{2}$'),
    community_code text NOT NULL REFERENCES onemap.admin_area (code),
    name           text NOT NULL,
    inspector      text NOT NULL DEFAULT '',
    cell_count     integer NOT NULL DEFAULT 0,
    area_m2        double precision NOT NULL DEFAULT 0,
    geom           geometry(MultiPolygon, 4490) NOT NULL,
    geom_3857      geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    CHECK (left(code, 12) = community_code)
);
CREATE INDEX resp_grid_geom_idx ON onemap.resp_grid USING gist (geom);
CREATE INDEX resp_grid_geom_3857_idx ON onemap.resp_grid USING gist (geom_3857);

-- Which responsibility grid each unit grid cell belongs to (by cell code, so that re-divisions
-- that keep a code keep its membership).
CREATE TABLE onemap.resp_grid_cell (
    grid_code      text PRIMARY KEY CHECK (grid_code ~ '^[0-9]{15}$'),
    resp_grid_code text NOT NULL REFERENCES onemap.resp_grid (code) ON DELETE CASCADE,
    CHECK (left(grid_code, 12) = left(resp_grid_code, 12))
);
CREATE INDEX resp_grid_cell_resp_idx ON onemap.resp_grid_cell (resp_grid_code);

-- Case numbers: local date of the report + a 7-digit serial, e.g. 202611230000042.
CREATE SEQUENCE onemap.case_no_seq;
CREATE FUNCTION onemap.next_case_no(t timestamptz) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT to_char(t AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('onemap.case_no_seq')::text, 7, '0')
$$;

CREATE TABLE onemap.city_case (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_no        text NOT NULL UNIQUE DEFAULT onemap.next_case_no(now())
                   CHECK (length(case_no) BETWEEN 1 AND 40),
    kind           text NOT NULL CHECK (kind IN ('event', 'component')),
    class_code     text NOT NULL CHECK (class_code ~ '^[0-9]{4,5}$'),
    source         text NOT NULL CHECK (source ~ '^[a-z][a-z0-9_]{0,39}$'),
    urgency        char(1) NOT NULL DEFAULT 'B' CHECK (urgency IN ('A', 'B', 'C')),
    state          text NOT NULL DEFAULT 'reported'
                   CHECK (state IN ('reported', 'filed', 'dispatched', 'handled', 'fed_back',
                                    'verified', 'closed', 'cancelled')),
    self_handled   boolean NOT NULL DEFAULT false,
    rework_count   smallint NOT NULL DEFAULT 0 CHECK (rework_count >= 0),
    reported_at    timestamptz NOT NULL DEFAULT now(),
    deadline_at    timestamptz NOT NULL,
    due_soon_at    timestamptz NOT NULL,
    closed_at      timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    geom           geometry(Point, 4490) NOT NULL,
    geom_3857      geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    grid_code      text CHECK (grid_code ~ '^[0-9]{15}$'),
    community_code text CHECK (community_code ~ '^[0-9]{12}$'),
    street_code    text CHECK (street_code ~ '^[0-9]{9}$'),
    county_code    text CHECK (county_code ~ '^[0-9]{6}$'),
    resp_grid_code text,
    department     text,
    component_id   text CHECK (component_id ~ '^[0-9]{16,17}$'),
    address        text NOT NULL DEFAULT '' CHECK (length(address) <= 200),
    description    text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    photo_urls     text[] NOT NULL DEFAULT '{}',
    reporter       text NOT NULL DEFAULT '',
    CHECK (deadline_at > reported_at),
    CHECK (due_soon_at BETWEEN reported_at AND deadline_at),
    CHECK ((closed_at IS NOT NULL) = (state = 'closed') OR state = 'cancelled'),
    CHECK (closed_at IS NULL OR closed_at >= reported_at),
    CHECK (NOT self_handled OR state = 'closed')
);
CREATE INDEX city_case_geom_idx ON onemap.city_case USING gist (geom);
CREATE INDEX city_case_geom_3857_idx ON onemap.city_case USING gist (geom_3857)
    WHERE state NOT IN ('closed', 'cancelled');
CREATE INDEX city_case_reported_idx ON onemap.city_case (reported_at);
CREATE INDEX city_case_grid_idx ON onemap.city_case (grid_code text_pattern_ops);
CREATE INDEX city_case_open_idx ON onemap.city_case (deadline_at) WHERE state NOT IN ('closed', 'cancelled');

-- The workflow history: one row per transition (creation included, from_state NULL).
CREATE TABLE onemap.case_event (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id    bigint NOT NULL REFERENCES onemap.city_case (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    role       text NOT NULL,
    action     text NOT NULL,
    from_state text,
    to_state   text NOT NULL,
    note       text NOT NULL DEFAULT '' CHECK (length(note) <= 2000)
);
CREATE INDEX case_event_case_idx ON onemap.case_event (case_id, at);

-- on_time / due_soon / overdue of an open case at instant t; NULL for closed or cancelled ones.
CREATE FUNCTION onemap.case_deadline_state(p_state text, p_deadline timestamptz,
                                           p_due_soon timestamptz, t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_state IN ('closed', 'cancelled') THEN NULL
        WHEN t > p_deadline THEN 'overdue'
        WHEN t >= p_due_soon THEN 'due_soon'
        ELSE 'on_time' END
$$;

-- The open cases on the map: no reporter, description or photos (they may carry personal data).
CREATE VIEW onemap.v_open_case AS
    SELECT id, case_no, kind, class_code, source, urgency, state, reported_at, deadline_at,
           onemap.case_deadline_state(state, deadline_at, due_soon_at, now()) AS deadline_state,
           grid_code, community_code, street_code, county_code, resp_grid_code, department,
           geom, geom_3857
    FROM onemap.city_case WHERE state NOT IN ('closed', 'cancelled');

CREATE VIEW onemap.v_resp_grid AS
    SELECT code, community_code, name, inspector, cell_count, area_m2, geom, geom_3857
    FROM onemap.resp_grid;

-- One notification per changed case (bulk history loads set onemap.quiet_cases = 'on').
CREATE FUNCTION onemap.notify_case_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('onemap.quiet_cases', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('onemap_cases', json_build_object(
        'id', NEW.id, 'case_no', NEW.case_no, 'state', NEW.state,
        'deadline_state', onemap.case_deadline_state(NEW.state, NEW.deadline_at, NEW.due_soon_at, now()),
        'class_code', NEW.class_code, 'lon', ST_X(NEW.geom), 'lat', ST_Y(NEW.geom))::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER city_case_notify AFTER INSERT OR UPDATE ON onemap.city_case
    FOR EACH ROW EXECUTE FUNCTION onemap.notify_case_change();

-- Open cases change colour with time alone (on_time → due_soon → overdue): one notification per
-- open case whose due-soon instant or deadline falls in (since, until]; a service calls it
-- periodically with the previous call's `until` (layers/cases.py notify_deadline_crossings).
CREATE FUNCTION onemap.notify_case_deadlines(since timestamptz, until timestamptz) RETURNS integer
LANGUAGE sql AS $$
    WITH crossed AS (
        SELECT pg_notify('onemap_cases', json_build_object(
            'id', id, 'case_no', case_no, 'state', state,
            'deadline_state', onemap.case_deadline_state(state, deadline_at, due_soon_at, until),
            'class_code', class_code, 'lon', ST_X(geom), 'lat', ST_Y(geom))::text)
        FROM onemap.city_case
        WHERE state NOT IN ('closed', 'cancelled')
          AND ((due_soon_at > since AND due_soon_at <= until) OR (deadline_at >= since AND deadline_at < until))
    )
    SELECT count(*)::integer FROM crossed
$$;

-- Tile caches key on the layer's data_version: one bump per statement, cheap for bulk loads.
CREATE FUNCTION onemap.bump_cases_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE onemap.layer SET data_version = data_version + 1, updated_at = now() WHERE name = 'cases';
    RETURN NULL;
END
$$;
CREATE TRIGGER city_case_version AFTER INSERT OR UPDATE OR DELETE ON onemap.city_case
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_cases_version();

CREATE FUNCTION onemap.bump_resp_grid_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE onemap.layer SET data_version = data_version + 1, updated_at = now() WHERE name = 'resp_grids';
    RETURN NULL;
END
$$;
CREATE TRIGGER resp_grid_version AFTER INSERT OR UPDATE OR DELETE ON onemap.resp_grid
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_resp_grid_version();

INSERT INTO onemap.layer (name, title, description, kind, relation, id_column, properties,
                          geometry_type, min_zoom, max_zoom, sort_order) VALUES
    ('resp_grids', '责任网格', 'Responsibility grids: groups of unit grid cells of one community '
     'with their inspector', 'grid', 'onemap.v_resp_grid', 'code',
     '{code,name,community_code,inspector,cell_count}', 'polygon', 12, 22, 45),
    ('cases', '案件', 'Open cases with their deadline state (on_time, due_soon, overdue)', 'cases',
     'onemap.v_open_case', 'id',
     '{case_no,kind,class_code,source,urgency,state,deadline_state,deadline_at,grid_code,department}',
     'point', 10, 22, 90);

-- Default deadlines (configurable per class): urgency A/B/C = 1/2/4 working days; manhole cover
-- matters (GB/T 47678.5 井盖异常, 01001–01023) 4 working hours whatever the urgency.
INSERT INTO onemap.case_deadline_rule (scheme, kind, class_prefix, urgency, amount, unit, note) VALUES
    (NULL, NULL, '', 'A', 1, 'workday', 'default'),
    (NULL, NULL, '', 'B', 2, 'workday', 'default'),
    (NULL, NULL, '', 'C', 4, 'workday', 'default');
INSERT INTO onemap.case_deadline_rule (scheme, kind, class_prefix, urgency, amount, unit, note)
    SELECT 'gb47678', 'event', code, NULL, 4, 'workhour', 'manhole cover (井盖异常)'
    FROM unnest('{01001,01002,01003,01005,01006,01007,01008,01009,01010,01011,01012,01014,01015,'
                '01017,01018,01019,01020,01021,01022,01023}'::text[]) AS code;

-- Demo department rules by major class (a city loads its own with `onemap cases rules load`);
-- the demo adds one rule per street for street order (街面秩序) matters.
INSERT INTO onemap.case_dispatch_rule (scheme, kind, class_prefix, area_prefix, department) VALUES
    (NULL, NULL, '', '', '区城市管理和综合执法局'),
    ('gb47678', NULL, '01001', '', '区水务局'),
    ('gb47678', NULL, '01002', '', '区水务局'),
    ('gb47678', NULL, '01003', '', '区水务局'),
    ('gb47678', NULL, '01004', '', '区水务局'),
    ('gb47678', NULL, '02', '', '区交通运输局'),
    ('gb47678', 'event', '08', '', '区住房和建设局'),
    ('legacy', NULL, '02', '', '区交通运输局'),
    ('legacy', 'event', '03', '', '区住房和建设局'),
    ('legacy', 'event', '04', '', '区应急管理局');
