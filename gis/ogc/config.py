"""pygeoapi's configuration, built in code from the layer registry (no YAML per layer).

One collection per registry layer, each served by layers.ogc_provider.OnemapProvider with
the layer's LayerSpec in its options. Two configurations are built from one registry read:
the public one, and one that also holds the private layers (for tokens with read_private).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
import pygeoapi.l10n
import pygeoapi.util

from gis.crs import CGCS2000, CRS84_URI, WEB_MERCATOR, WGS84, epsg_uri, gauss_kruger_epsg
from gis.ogc.pages import ConfigTranslations, PageTemplates, UncachedConfigs
from layers.ogc_query import layer_spec
from layers.registry import BBox, Layer, column_types, layer_extents, list_layers, registry_signature, visible
from tiles.documents import discovery_links

PROVIDER = "layers.ogc_provider.OnemapProvider"
DEFAULT_ITEMS = 100
MAX_ITEMS = 10_000  # a larger limit is clamped to this (pygeoapi's 'throttle'), not refused
LANGUAGES = ["en-US", "zh-CN"]
CITY_LONGITUDE_FALLBACK = 114.0  # used only when no county is loaded (the demo city's zone)
_WORLD: BBox = (-180.0, -90.0, 180.0, 90.0)
# the background of the HTML pages' Leaflet maps, fetched from the internet (offline the features draw on a
# blank background); the only other thing the pages fetch from outside is the logo of ReDoc's credit line
# (cdn.redoc.ly, hidden when it does not load)
BASEMAP_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


# the seam where onemap shapes pygeoapi's HTML pages: its templates (gis.ogc.pages), and each page rendered
# with the configuration of its own API, translated once per API and locale
pygeoapi.util.Environment = PageTemplates
pygeoapi.l10n._cfg_cache = UncachedConfigs()
# kept: as many as gis.ogc.service keeps APIs (8 base URLs x public and private) x LANGUAGES
pygeoapi.l10n.translate_struct = ConfigTranslations(pygeoapi.l10n.translate_struct, size=32)


@dataclass(frozen=True)
class Registry:
    """One read of the layer registry: the layers, their columns, their extents."""

    signature: tuple[object, ...]
    layers: tuple[Layer, ...]
    columns: Mapping[str, Mapping[str, str]]
    extents: Mapping[str, BBox | None]

    @property
    def gauss_kruger_epsg(self) -> int:
        """The city's CGCS2000 3-degree Gauss-Krüger zone (from the counties' extent)."""
        box = self.extents.get("counties")
        return gauss_kruger_epsg((box[0] + box[2]) / 2 if box else CITY_LONGITUDE_FALLBACK)


async def read_registry(conn: psycopg.AsyncConnection) -> Registry:
    signature = await registry_signature(conn)
    layers = await list_layers(conn)
    return Registry(signature, tuple(layers), await column_types(conn), await layer_extents(conn, layers))


def supported_crs(registry: Registry) -> list[str]:
    """CRS84 first (the default), then the storage CRS, WGS84, Web Mercator and the city's GK zone."""
    return [CRS84_URI, epsg_uri(CGCS2000), epsg_uri(WGS84), epsg_uri(WEB_MERCATOR),
            epsg_uri(registry.gauss_kruger_epsg)]


def _collection(layer: Layer, registry: Registry, pool_key: str, timezone: str,
                base_url: str) -> dict[str, Any]:
    spec = layer_spec(layer, registry.columns.get(layer.name, {}))
    keywords = ["数字城管", "onemap", layer.kind] + ([layer.class_prefix] if layer.class_prefix else [])
    provider = {
        "type": "feature", "name": PROVIDER, "data": layer.name, "id_field": spec.id_column,
        # no title_field: pygeoapi's items page puts its value unescaped into each marker's popup (Leaflet
        # sets it as HTML), so a name like <img onerror=...> would run; popups show the id, a code
        "time_field": spec.time_field,
        "editable": spec.editable, "include_extra_query_parameters": True,
        "crs": supported_crs(registry), "storage_crs": epsg_uri(CGCS2000),
        "options": {"pool": pool_key, "timezone": timezone, "layer": spec.to_options()},
    }
    return {
        "type": "collection", "title": layer.title, "description": layer.description or layer.title,
        "keywords": keywords,
        "extents": {"spatial": {"bbox": list(registry.extents.get(layer.name) or _WORLD), "crs": CRS84_URI}},
        "providers": [provider],
        "links": discovery_links(base_url.rstrip("/"), layer.name, layer.title),
    }


def build_config(registry: Registry, *, base_url: str, pool_key: str, timezone: str,
                 private: bool) -> dict[str, Any]:
    """pygeoapi's configuration dict for this registry, served at `base_url`; its providers read dates
    and times without an offset in the city's `timezone`."""
    return {
        "server": {
            "bind": {"host": "0.0.0.0", "port": 0}, "url": base_url.rstrip("/"),
            "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8", "gzip": False,
            "languages": LANGUAGES, "pretty_print": False,
            "limits": {"default_items": DEFAULT_ITEMS, "max_items": MAX_ITEMS, "on_exceed": "throttle"},
            "map": {"url": BASEMAP_URL,
                    "attribution": "© OpenStreetMap contributors"},
        },
        "logging": {"level": "WARNING"},
        "metadata": {
            "identification": {
                "title": {"en": "onemap: the one map of digital city management", "zh": "数字城管一张图"},
                "description": {"en": "Unit grids, admin areas, roads and managed components (GB/T 30428)",
                                "zh": "单元网格、行政区划、道路与城市管理部件（GB/T 30428）"},
                "keywords": ["数字城管", "一张图", "unit grid", "components", "GB/T 30428"],
                "keywords_type": "theme", "terms_of_service": f"{base_url.rstrip('/')}/",
                "url": f"{base_url.rstrip('/')}/",
            },
            "license": {"name": "ODbL 1.0 (roads © OpenStreetMap contributors); other data: the city",
                        "url": "https://opendatacommons.org/licenses/odbl/1-0/"},
            "provider": {"name": "onemap", "url": f"{base_url.rstrip('/')}/"},
            "contact": {"name": "City management centre GIS team", "position": "GIS",
                        "instructions": "during office hours", "role": "pointOfContact"},
        },
        "resources": {layer.name: _collection(layer, registry, pool_key, timezone, base_url)
                      for layer in visible(registry.layers, sees_private=private)},
    }
