"""Vector tiles: tile matrix sets, MVT generation, the fused one-map tileset, caching."""

# The fused tileset's name, here rather than in tiles.service so that the `onemap` CLI has it
# without loading morecantile and the CQL parser; its parts are tiles.service.ROLES.
FUSED = "onemap"
FUSED_TITLE = "onemap 一张图"  # its title in the OGC documents, the TileJSON and the style
