// The one-map page: the fused `onemap` tileset drawn with onemap's own MapLibre style
// (/tiles/onemap/style.json), a layer panel with the class legend, feature popups and the
// address search of the geocoder. Everything comes from onemap itself: no internet needed.
const GROUPS = [
  ["admin", "行政区划"], ["grid", "单元网格"], ["roads", "道路"], ["components", "部件"],
  ["cameras", "视频监控"], ["vehicles", "车辆"], ["cases", "案件"], ["hotspots", "热点"],
];
const CODE_FIELDS = ["layer", "code", "name", "id", "case_no", "class_code", "major_code", "state",
  "deadline_state", "urgency", "grid_code", "community_code", "street_code", "county_code", "plate", "count"];

const map = new maplibregl.Map({ container: "map", style: "/tiles/onemap/style.json",
                                 center: [114.05, 22.54], zoom: 12 });
map.addControl(new maplibregl.NavigationControl());
window.onemapMap = map;

fetch("/map/extent.json").then((r) => r.json()).then(({ bbox }) => {
  if (bbox) map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 20, animate: false });
}).catch(() => {});

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function legendList(entries) {
  const list = element("div", undefined, "legend");
  for (const entry of entries) {
    const row = element("div");
    const swatch = element("span", undefined, "swatch");
    swatch.style.background = entry.color;
    row.append(swatch, `${entry.code} ${entry.name}`);
    list.appendChild(row);
  }
  return list;
}

function buildLayerPanel() {
  const style = map.getStyle();
  const legend = (style.metadata || {})["onemap:legend"] || {};
  const panel = document.getElementById("layers");
  panel.textContent = "";
  for (const [group, title] of GROUPS) {
    const ids = style.layers.filter((l) => l["source-layer"] === group).map((l) => l.id);
    if (!ids.length) continue;
    const box = element("input");
    box.type = "checkbox";
    box.checked = true;
    box.dataset.group = group;
    box.addEventListener("change", () => {
      for (const id of ids) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
    });
    const label = element("label");
    label.append(box, ` ${title}`);
    panel.appendChild(label);
    if (legend[group]) panel.appendChild(legendList(legend[group]));
  }
}
map.once("load", buildLayerPanel);

// Component tiles carry only what the map draws (id, class, state): a click reads the rest of a
// component (name, grid, community and street codes ...) from the OGC API by its id.
const DETAILS = { components: "components" };  // MVT layer → OGC collection

async function details(feature) {
  const collection = DETAILS[feature.sourceLayer];
  const id = feature.properties.id;
  if (!collection || id === undefined || id === null) return feature.properties;
  try {
    const response = await fetch(`/collections/${collection}/items/${encodeURIComponent(id)}?f=json`);
    if (!response.ok) return feature.properties;
    return { ...feature.properties, ...(await response.json()).properties };
  } catch (error) {
    return feature.properties;
  }
}

map.on("click", async (event) => {
  const features = map.queryRenderedFeatures(event.point).filter((f) => f.source === "onemap");
  if (!features.length) return;
  const shown = features.slice(0, 4);
  const properties = await Promise.all(shown.map(details));
  const table = element("table");
  shown.forEach((feature, index) => {
    const head = element("tr");
    const cell = element("td", feature.sourceLayer);
    cell.colSpan = 2;
    cell.style.fontWeight = "bold";
    head.appendChild(cell);
    table.appendChild(head);
    for (const field of CODE_FIELDS) {
      const value = properties[index][field];
      if (value === undefined || value === null || field === "layer") continue;
      const row = element("tr");
      row.append(element("td", field), element("td", String(value)));
      table.appendChild(row);
    }
  });
  new maplibregl.Popup({ maxWidth: "360px" }).setLngLat(event.lngLat).setDOMContent(table).addTo(map);
});

let marker = null;
function showCandidate(candidate) {
  if (marker) marker.remove();
  marker = new maplibregl.Marker().setLngLat([candidate.lon, candidate.lat]).addTo(map);
  map.flyTo({ center: [candidate.lon, candidate.lat], zoom: Math.max(map.getZoom(), 16) });
}

async function search(address) {
  const results = document.getElementById("results");
  results.textContent = "";
  let response;
  try {
    response = await fetch(`/geocode?address=${encodeURIComponent(address)}&limit=5`);
  } catch (error) {
    results.appendChild(element("div", "地理编码服务无法连接", "message"));
    return;
  }
  if (response.status === 404) {
    results.appendChild(element("div", "本服务未提供地理编码 (GET /geocode 不存在)", "message"));
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    results.appendChild(element("div", body.description || `地理编码失败 (${response.status})`, "message"));
    return;
  }
  const candidates = body.candidates || [];
  if (!candidates.length) {
    results.appendChild(element("div", body.reason || "未找到匹配的地址", "message"));
    return;
  }
  for (const candidate of candidates) {
    const hit = element("div", `${candidate.label || body.normalized} · ${candidate.grid_code || ""}`, "hit");
    hit.addEventListener("click", () => showCandidate(candidate));
    results.appendChild(hit);
  }
  showCandidate(candidates[0]);
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const address = document.getElementById("address").value.trim();
  if (address) search(address);
});
