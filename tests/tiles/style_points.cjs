// Evaluates the circle layers of a MapLibre style with MapLibre's own expression engine
// (@maplibre/maplibre-gl-style-spec): for each point feature read from stdin, the ids of the circle
// layers of its source layer whose filter takes it, and the radius each of them draws it with.
const spec = require("@maplibre/maplibre-gl-style-spec");

const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const circles = input.style.layers.filter((layer) => layer.type === "circle").map((layer) => ({
  id: layer.id,
  sourceLayer: layer["source-layer"],
  filter: spec.featureFilter(layer.filter),
  radius: spec.expression.createPropertyExpression(
    layer.paint["circle-radius"], spec.latest.paint_circle["circle-radius"]).value,
}));
const out = input.features.map((f) => {
  const feature = { type: 1, properties: f.properties, geometry: [] };
  const zoom = { zoom: f.zoom };
  return circles
    .filter((c) => c.sourceLayer === f.sourceLayer && c.filter.filter(zoom, feature))
    .map((c) => [c.id, c.radius.evaluate(zoom, feature)]);
});
process.stdout.write(JSON.stringify(out));
