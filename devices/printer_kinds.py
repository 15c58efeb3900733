"""The printer transports station.toml may name ([printer] kind), apart from their code so the config
check imports none of it."""

KINDS = ("usb", "serial", "network", "file", "cups", "simulated", "none")
