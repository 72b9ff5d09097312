"""Open311 GeoReport v2: the routes, their inputs, their two formats, the service."""
