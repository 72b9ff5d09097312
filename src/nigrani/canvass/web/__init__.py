"""HTML routes of the canvass: incidents, officers' actions, the court bundle, the owner's side."""
