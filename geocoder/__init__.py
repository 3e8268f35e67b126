"""Address normalisation, the gazetteer and forward / reverse / batch geocoding."""

KINDS = ("addresses", "roads", "pois")  # what `onemap import …` loads into the gazetteer
