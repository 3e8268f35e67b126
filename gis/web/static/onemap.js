// The one-map page: every public layer of the fused `onemap` tileset on one MapLibre map.
const style = {
  version: 8,
  sources: {
    onemap: { type: "vector", tiles: [location.origin + "/tiles/onemap/{z}/{x}/{y}.mvt"], maxzoom: 22 }
  },
  layers: [
    { id: "background", type: "background", paint: { "background-color": "#f4f2ee" } },
    { id: "communities-fill", type: "fill", source: "onemap", "source-layer": "communities",
      paint: { "fill-color": "#9ecae1", "fill-opacity": 0.35 } },
    { id: "unit-grid-line", type: "line", source: "onemap", "source-layer": "unit_grid",
      paint: { "line-color": "#31a354", "line-width": 0.6 } },
    { id: "roads-line", type: "line", source: "onemap", "source-layer": "roads",
      paint: { "line-color": "#888", "line-width": 1 } },
    { id: "communities-line", type: "line", source: "onemap", "source-layer": "communities",
      paint: { "line-color": "#3182bd", "line-width": 1 } },
    { id: "streets-line", type: "line", source: "onemap", "source-layer": "streets",
      paint: { "line-color": "#08306b", "line-width": 2.5 } },
    { id: "counties-line", type: "line", source: "onemap", "source-layer": "counties",
      paint: { "line-color": "#d6604d", "line-width": 3 } }
  ]
};

const map = new maplibregl.Map({ container: "map", style, center: [114.02, 22.535], zoom: 13 });
map.addControl(new maplibregl.NavigationControl());
window.onemapMap = map;

fetch("/map/extent.json").then(r => r.json()).then(({ bbox }) => {
  if (bbox) map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 20, animate: false });
});

map.on("click", (event) => {
  const features = map.queryRenderedFeatures(event.point);
  const info = document.getElementById("info");
  info.textContent = "";
  for (const f of features.filter(f => f.properties.code || f.properties.name).slice(0, 4)) {
    const line = document.createElement("div");
    line.textContent = `${f.sourceLayer}: ${f.properties.code ?? ""} ${f.properties.name ?? ""}`;
    info.appendChild(line);
  }
});
