"""Earlier versions of the form specs, kept so that old journal entries still explain themselves."""
