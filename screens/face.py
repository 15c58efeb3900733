"""The holder's face from the card (eMRTD DG2), drawn in character cells beside the person's data, so
the clerk can compare it with the person at the window. Half-cell blocks (rich-pixels): two pixels per
cell, so any terminal, tmux included, shows it. The picture lives in this widget only; it is dropped
when the person's file closes and is never journaled or written to disk."""

from __future__ import annotations

from textual.widgets import Static

from counter.i18n import _

FACE_ROWS = 15  # cells; the face is 2 pixels per cell high
ICAO_ASPECT = 35 / 45  # a passport photo is 35 x 45 mm


class FaceView(Static):
    DEFAULT_CSS = """
    FaceView { height: auto; padding: 0 1; border: round $panel; }
    """

    def __init__(self, picture, *, id: str | None = None):
        super().__init__(id=id)
        self.picture = picture
        self.cells = (max(1, round(FACE_ROWS * 2 * ICAO_ASPECT)), FACE_ROWS)

    def on_mount(self) -> None:
        from rich_pixels import Pixels

        self.border_title = _("Photo (card)")
        width, rows = self.cells
        picture = self.picture.copy()
        picture.thumbnail((width, rows * 2))  # keeps the aspect: never a stretched face
        self.styles.width = max(picture.width, 14) + 4  # the picture, its padding and border; the data beside it
        self.update(Pixels.from_image(picture))

    def on_unmount(self) -> None:
        self.picture = None
