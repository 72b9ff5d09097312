"""Station analytics: what the station cameras show (persons, phones in hand), found by a
detector plugin on the CPU or an accelerator, for the Commissioner's alerts."""
