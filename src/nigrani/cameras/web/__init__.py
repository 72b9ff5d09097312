"""HTML routes of the camera registry: sites, the citizen's cameras, the map, the report."""
