"""Camera registry: public cameras and citizens' own (Citizen-Eye), map, category report."""
