// Live layers of the one-map page: vehicle markers moved and cases recoloured from the push
// channel (GET /feeds/events, server-sent events), without reloading any tile.
// The map is the one onemap.js creates (window.onemapMap). window.onemapLive exposes what the
// page has applied, for tests and the fix-to-page latency benchmark (bench/feeds_ingest.py).
(() => {
  const VEHICLE_COLOURS = ["match", ["get", "type"], "执法车", "#1f78b4", "环卫车", "#33a02c",
    "渣土车", "#b15928", "巡查车", "#6a3d9a", "#ff7f00"];
  const CASE_COLOURS = ["match", ["get", "deadline_state"], "overdue", "#d7191c", "due_soon", "#fdae61",
    "#1a9641"];
  const CLOSED = new Set(["closed", "cancelled"]);
  const vehicles = new Map();  // id -> GeoJSON feature
  const cases = new Map();     // id -> GeoJSON feature (cases changed since the page opened)
  const live = window.onemapLive = { vehicles, cases, applied: new Map(), events: 0, connected: false,
                                      record: false, log: [] };
  let pending = null;

  function vehicleFeature(p) {
    return { type: "Feature", id: p.id, geometry: { type: "Point", coordinates: [p.lon, p.lat] },
             properties: { id: p.id, plate: p.plate, type: p.type, heading: p.heading ?? 0,
                           speed: p.speed, t: p.t } };
  }

  function flush(map) {
    pending = null;
    map.getSource("live-vehicles")?.setData({ type: "FeatureCollection", features: [...vehicles.values()] });
    map.getSource("live-cases")?.setData({ type: "FeatureCollection", features: [...cases.values()] });
    map.triggerRepaint();
  }

  function schedule(map, changed) {
    const received = Date.now();
    if (!pending) pending = requestAnimationFrame(() => flush(map));
    map.once("render", () => {
      const shown = Date.now();
      for (const [id, t] of changed) {
        live.applied.set(id, { t, received, shown });
        if (live.record) live.log.push([id, t, received, shown]);  // the latency benchmark reads this
      }
    });
  }

  function onVehicles(map, positions) {
    const changed = [];
    for (const p of positions) {
      const known = vehicles.get(p.id);
      const type = p.type ?? known?.properties.type;
      vehicles.set(p.id, vehicleFeature({ ...p, type }));
      changed.push([p.id, p.t]);
    }
    schedule(map, changed);
  }

  function onCase(map, c) {
    const id = c.id;
    if (CLOSED.has(c.state)) cases.delete(id);
    else cases.set(id, { type: "Feature", id, geometry: { type: "Point", coordinates: [c.lon, c.lat] },
                         properties: { ...c } });
    try {  // tiles carry feature ids when the cases layer promotes them; recolour in place too
      map.setFeatureState({ source: "onemap", sourceLayer: "cases", id },
                          { state: c.state, deadline_state: c.deadline_state });
    } catch (e) { /* no cases source-layer on this page */ }
    schedule(map, []);
  }

  // A case recoloured by onCase (feature-state) before its tile is reloaded: the style colours cases by
  // the tile's deadline_state, for clients without feature-state; the page prefers the live one.
  function liveDeadline(colour) {
    if (!Array.isArray(colour) || colour[0] !== "match") return colour;
    return ["match", ["coalesce", ["feature-state", "deadline_state"], colour[1], ""], ...colour.slice(2)];
  }

  function addLayers(map) {
    for (const layer of map.getStyle().layers) {
      // The tiles' vehicle positions are superseded by the live ones.
      if (layer["source-layer"] === "vehicles") map.setLayoutProperty(layer.id, "visibility", "none");
      if (layer["source-layer"] === "cases" && layer.type === "circle") {
        map.setPaintProperty(layer.id, "circle-color", liveDeadline(map.getPaintProperty(layer.id, "circle-color")));
      }
    }
    map.addSource("live-cases", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "live-cases", type: "circle", source: "live-cases",
      paint: { "circle-radius": 6, "circle-color": CASE_COLOURS, "circle-stroke-color": "#fff",
               "circle-stroke-width": 1.5 } });
    map.addSource("live-vehicles", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "live-vehicles", type: "circle", source: "live-vehicles",
      paint: { "circle-radius": 5, "circle-color": VEHICLE_COLOURS, "circle-stroke-color": "#fff",
               "circle-stroke-width": 1.5 } });
  }

  function connect(map) {
    const source = new EventSource("/feeds/events");
    source.addEventListener("open", () => { live.connected = true; });
    source.addEventListener("error", () => { live.connected = false; });  // EventSource retries itself
    source.addEventListener("vehicles", (event) => {
      live.events += 1;
      onVehicles(map, JSON.parse(event.data));
    });
    source.addEventListener("cases", (event) => {
      live.events += 1;
      onCase(map, JSON.parse(event.data));
    });
    live.source = source;
  }

  async function start(map) {
    addLayers(map);
    connect(map);
    const response = await fetch("/feeds/vehicles");
    if (response.ok) {
      for (const f of (await response.json()).features) {
        if (!vehicles.has(f.id)) vehicles.set(f.id, vehicleFeature({ ...f.properties,
          lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }));
      }
      schedule(map, []);
    }
    live.ready = true;
  }

  function whenMap() {
    const map = window.onemapMap;
    if (!map) { setTimeout(whenMap, 50); return; }
    if (map.isStyleLoaded()) start(map); else map.once("load", () => start(map));
  }
  whenMap();
})();
