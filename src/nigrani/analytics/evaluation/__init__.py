"""`nigrani eval analytics`: the pipeline run on labelled, scripted clips, scored per rule."""
