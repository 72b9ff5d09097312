"""JSON routes of the camera registry: sites, import/export, the map's GeoJSON."""
