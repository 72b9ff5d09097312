"""Station CCTV: cameras by location role, recording, live view, playback, compliance."""
