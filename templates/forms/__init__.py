"""Form specs (data): one TOML file per counter service."""
