"""HTML routes of station oversight: cameras, compliance, the live wall, playback."""
