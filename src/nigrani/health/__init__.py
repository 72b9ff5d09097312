"""Camera health: probes of every linked registry camera and station camera, picture checks
against each camera's own baseline, a state that changes only after K results in a row,
outages with a start and an end, alerts, and the review report."""
