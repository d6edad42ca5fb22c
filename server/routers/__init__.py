"""One router module per resource (organizer side) plus the device API and pairing."""
