"""The demo portfolio generator: sits above every domain app, which it fills with data."""
