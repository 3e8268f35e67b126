"""Vector tiles: tile matrix sets, MVT generation, the fused one-map tileset, caching."""
