-- Component tiles carry what the map draws and what a click looks up: the identifier, the class
-- codes the style colours by and the state. Name, grid code and the other attributes of a clicked
-- component come from the OGC API (/collections/{layer}/items/{id}), so a dense z16 tile is about
-- half the bytes and its encoding in ST_AsMVT a quarter cheaper.
UPDATE onemap.layer
SET properties = '{id,class_code,major_code,state}'
WHERE kind = 'components' AND relation = 'onemap.v_component'::regclass;
