"""QGIS as a client of a running `onemap serve`: OGC API - Features layers read whole, and the one-map
style converted for QGIS's vector tile layer.

Run with the Python that has QGIS's bindings (Debian: `apt-get install python3-qgis qgis-providers`),
not the project's venv:

    /usr/bin/python3 bench/qgis_client.py [--url http://127.0.0.1:8000] [--layers components,roads]

Prints, per layer, the features QGIS read and the seconds it took (its page size comes from the
OpenAPI document's `limit`), then each warning of QGIS's MapLibre style converter on
/tiles/onemap/style.json.
"""

import argparse
import json
import os
import sys
import time
import urllib.request

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
try:
    from qgis.core import QgsApplication, QgsMapBoxGlStyleConverter, QgsVectorLayer
except ImportError:
    sys.exit("QGIS's Python bindings are missing: apt-get install python3-qgis qgis-providers, "
             "then run this with /usr/bin/python3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--layers", default="components,unit_grid,roads,cases")
    args = parser.parse_args()
    app = QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    try:
        for name in args.layers.split(","):
            started = time.perf_counter()
            layer = QgsVectorLayer(f"url='{args.url}' typename='{name}'", name, "OAPIF")
            if not layer.isValid():
                print(f"{name}: not valid: {layer.error().summary()}")
                continue
            count = sum(1 for _ in layer.getFeatures())
            print(f"{name}: {count:,} features in {time.perf_counter() - started:.1f} s")
        with urllib.request.urlopen(f"{args.url}/tiles/onemap/style.json") as response:
            style = json.load(response)
        converter = QgsMapBoxGlStyleConverter()
        converter.convert(style)
        warnings = converter.warnings()
        print(f"style: {len(style['layers'])} layers, {len(warnings)} converter warnings")
        for warning in warnings:
            print(f"  {warning}")
    finally:
        app.exitQgis()


if __name__ == "__main__":
    main()
