"""The station side of sync: the client, the wire protocol shared with HQ, the local sync state and the day bundle."""
