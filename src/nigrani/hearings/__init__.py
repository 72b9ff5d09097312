"""Video Jansunwai: officers' hearing windows, booking, the live queue and its wait."""
