"""counter keys rotate"""

from __future__ import annotations

from counter.cli.common import DataDir, new_app, open_station

app = new_app("The station's Ed25519 key.")


@app.command("rotate")
def rotate(data_dir: DataDir = None) -> None:
    """Make a new station key, keep the old one in keys/retired/, journal the rotation signed by the old key."""
    from counter.sync import key_rotation

    station = open_station(data_dir)
    old, new = key_rotation.rotate(station)
    print(f"station key rotated: new key {new}; old key {old} kept in {station.data_dir / key_rotation.RETIRED_DIR}")
    print("HQ accepts the new key from the journal at the next sync; no re-enrolment needed")
