-- Live feeds (issue 7): CCTV cameras (GB/T 28181 ids) with view sectors, the vehicle registry,
-- GPS fixes (append-only, one partition per day) and the latest position per vehicle.
-- Layers: cameras, camera_sectors (kind 'cameras'), vehicles (kind 'vehicles').

-- View sector of a camera: the point, an arc of `range_m` metres from heading - fov/2 to
-- heading + fov/2 (degrees clockwise from north), back to the point. A full circle when the
-- field of view is 360° or the heading is unknown (dome cameras). Geodesic (geography) so that
-- the range is metres on the ground; IMMUTABLE so that the sector can be a generated column.
CREATE FUNCTION onemap.camera_sector(p geometry, heading double precision, fov double precision,
                                     range_m double precision)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p IS NULL OR range_m IS NULL THEN NULL
        WHEN heading IS NULL OR fov IS NULL OR fov >= 360 THEN
            ST_SetSRID(ST_Buffer(p::geography, range_m, 'quad_segs=8')::geometry, 4490)
        ELSE ST_SetSRID(ST_MakePolygon(ST_MakeLine(
            ARRAY[p]
            || ARRAY(SELECT ST_Project(p::geography, range_m,
                                       radians(heading - fov / 2 + fov * i / 16))::geometry
                     FROM generate_series(0, 16) AS i ORDER BY i)
            || ARRAY[p])), 4490)
    END
$$;

CREATE TABLE onemap.camera (
    device_id   text PRIMARY KEY CHECK (device_id ~ '^[0-9]{20}$'),
    name        text NOT NULL DEFAULT '',
    heading_deg double precision CHECK (heading_deg >= 0 AND heading_deg < 360),
    fov_deg     double precision NOT NULL DEFAULT 60 CHECK (fov_deg > 0 AND fov_deg <= 360),
    range_m     double precision NOT NULL DEFAULT 80 CHECK (range_m > 0 AND range_m <= 5000),
    owner       text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline', 'fault')),
    status_at   timestamptz,
    stream_url  text,  -- private: only through the feeds API with read_private, never in a layer
    grid_code   text CHECK (grid_code ~ '^[0-9]{15}$'),
    source      text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    geom        geometry(Point, 4490) NOT NULL,
    geom_3857   geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    sector      geometry(Polygon, 4490)
                GENERATED ALWAYS AS (onemap.camera_sector(geom, heading_deg, fov_deg, range_m)) STORED,
    sector_3857 geometry(Polygon, 3857) GENERATED ALWAYS AS (
                ST_Transform(onemap.camera_sector(geom, heading_deg, fov_deg, range_m), 3857)) STORED
);
CREATE INDEX camera_geom_idx ON onemap.camera USING gist (geom);
CREATE INDEX camera_geom_3857_idx ON onemap.camera USING gist (geom_3857);
CREATE INDEX camera_sector_3857_idx ON onemap.camera USING gist (sector_3857);

-- The unit grid cell is assigned in the database, not by the caller (DESIGN.md, data model).
CREATE FUNCTION onemap.camera_assign_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.grid_code := (SELECT code FROM onemap.unit_grid
                      WHERE valid_to IS NULL AND ST_Intersects(geom, NEW.geom) ORDER BY code LIMIT 1);
    RETURN NEW;
END
$$;
CREATE TRIGGER camera_assign_grid BEFORE INSERT OR UPDATE OF geom ON onemap.camera
    FOR EACH ROW EXECUTE FUNCTION onemap.camera_assign_grid();

-- Every status report, append-only (the camera row keeps the latest).
CREATE TABLE onemap.camera_status_log (
    device_id   text NOT NULL REFERENCES onemap.camera (device_id) ON DELETE CASCADE,
    status      text NOT NULL CHECK (status IN ('online', 'offline', 'fault')),
    reported_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    reported_by text NOT NULL
);
CREATE INDEX camera_status_log_idx ON onemap.camera_status_log (device_id, reported_at);

CREATE VIEW onemap.v_camera AS
    SELECT device_id, name, heading_deg, fov_deg, range_m, owner, status, status_at, grid_code,
           geom, geom_3857
    FROM onemap.camera;
CREATE VIEW onemap.v_camera_sector AS
    SELECT device_id, name, heading_deg, fov_deg, range_m, status, sector AS geom,
           sector_3857 AS geom_3857
    FROM onemap.camera;

-- The vehicle registry: a GPS terminal id (what fixes name) and the plate.
CREATE TABLE onemap.vehicle (
    id         text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    plate      text NOT NULL UNIQUE CHECK (length(plate) BETWEEN 1 AND 16),
    type       text NOT NULL CHECK (type IN ('执法车', '环卫车', '渣土车', '巡查车', '抢修车',
                                             '洒水车', '其他')),
    department text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- GPS fixes: append-only, partitioned by day (China Standard Time days; partitions
-- vehicle_fix_pYYYYMMDD are created on demand by layers/feeds_partitions.py and dropped after
-- the retention period). (vehicle_id, t) is unique: a replayed fix is a duplicate, not a row.
-- No foreign key to the registry: the ingest checks vehicles, and history outlives a vehicle.
CREATE TABLE onemap.vehicle_fix (
    vehicle_id  text NOT NULL,
    t           timestamptz NOT NULL,
    geom        geometry(Point, 4490) NOT NULL,
    speed_kmh   real,
    heading_deg real,
    flags       text[] NOT NULL DEFAULT '{}',
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (vehicle_id, t)
) PARTITION BY RANGE (t);

-- The latest accepted fix per vehicle (what the map shows).
CREATE TABLE onemap.vehicle_position (
    vehicle_id  text PRIMARY KEY REFERENCES onemap.vehicle (id) ON DELETE CASCADE,
    t           timestamptz NOT NULL,
    speed_kmh   real,
    heading_deg real,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    geom        geometry(Point, 4490) NOT NULL,
    geom_3857   geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED
);
-- Deliberately no spatial index: a fleet is thousands of rows, which a tile reads by sequential
-- scan in well under a millisecond, while with only the primary key indexed every position
-- update is a HOT update (no index writes, no index bloat) at thousands of updates per second.

CREATE VIEW onemap.v_vehicle AS
    SELECT v.id, v.plate, v.type, v.department, p.t, p.speed_kmh, p.heading_deg, p.geom, p.geom_3857
    FROM onemap.vehicle v JOIN onemap.vehicle_position p ON p.vehicle_id = v.id;

INSERT INTO onemap.layer (name, title, description, kind, relation, id_column, properties,
                          geometry_type, is_private, min_zoom, max_zoom, sort_order) VALUES
    ('camera_sectors', '摄像机视域', 'View sectors of the CCTV cameras (heading, field of view, range)',
     'cameras', 'onemap.v_camera_sector', 'device_id', '{device_id,name,status,heading_deg,fov_deg,range_m}',
     'polygon', false, 14, 22, 70),
    ('cameras', '摄像机', 'CCTV cameras (GB/T 28181 device ids); stream URLs only through the feeds API',
     'cameras', 'onemap.v_camera', 'device_id', '{device_id,name,owner,status,status_at,grid_code}',
     'point', false, 12, 22, 75),
    ('vehicles', '车辆', 'Latest GPS position of each vehicle (tracks only through the feeds API)',
     'vehicles', 'onemap.v_vehicle', 'id', '{id,plate,type,department,t,speed_kmh,heading_deg}',
     'point', false, 10, 22, 90);
