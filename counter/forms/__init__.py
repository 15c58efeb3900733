"""Forms as data: spec (templates/forms/*.toml loaded and checked), options (a field's choices), clean (a filled form checked)."""
