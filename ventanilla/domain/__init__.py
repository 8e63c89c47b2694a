"""Pure domain: invoices, lifecycle, events, error catalogue."""
