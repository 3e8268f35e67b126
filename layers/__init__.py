"""PostGIS layers: the layer registry, component inventories, survey import, live feeds."""
