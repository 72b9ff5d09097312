"""Incident canvass: which cameras could have seen a place."""
