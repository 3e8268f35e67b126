"""Address normalisation, the gazetteer and forward / reverse / batch geocoding."""
