"""Our own virtual cards: card operating systems that answer APDUs like the real documents.

They run in-process (the demo's SimulatedReader) or behind Debian's vsmartcard-vpcd
driver under a real pcscd (`counter devices simulate-card`, tests, benchmarks).
vpcd listens on TCP ports on every interface: never install it on a production station.
"""
