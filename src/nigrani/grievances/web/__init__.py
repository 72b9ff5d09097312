"""HTML routes of grievances: the queue, officers' actions, citizens' pages, walk-ins."""
