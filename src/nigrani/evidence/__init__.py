"""Evidence store: content-addressed files, chain of custody, legal hold and retention."""
