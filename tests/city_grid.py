"""A city's independent grid (城市独立坐标系) as surveys define it: a Gauss-Krüger projection on the CGCS2000
ellipsoid with the city's own central meridian, projection-height scale and false origin; no EPSG code."""

CITY_GRID = ("+proj=tmerc +lat_0=0 +lon_0=114.05 +k=1.0000157 +x_0=50000 +y_0=-2400000 "
             "+ellps=GRS80 +units=m")
