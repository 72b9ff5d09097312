"""Demo data for ``nigrani demo``: clearly labelled sample jurisdictions, not real records."""
