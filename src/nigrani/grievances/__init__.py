"""Grievances: complaints from citizens, routed to stations, worked to closure under SLAs."""
