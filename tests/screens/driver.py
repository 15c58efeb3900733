"""Drive the counter like a clerk, counting every key press (shared by the Pilot tests and the bench)."""

from __future__ import annotations

from textual.widgets import Input

KEY_NAMES = {" ": "space", "-": "minus", "+": "plus", "'": "apostrophe", ".": "full_stop", "/": "slash"}


def is_hanzi(ch: str) -> bool:
    from counter.domain.names import is_cjk_ideograph

    return is_cjk_ideograph(ch)


class Clerk:
    """Key presses through Pilot. `keys` counts presses; `hanzi` counts Chinese characters typed (each is
    one press here, an IME commit; the bench also reports a pinyin-IME estimate)."""

    def __init__(self, pilot, fast: bool = False):
        # fast: text goes into the focused Input in one edit (still counted per character); the
        # benchmark uses real key presses for every character
        self.fast = fast
        self.pilot = pilot
        self.app = pilot.app
        self.keys = 0
        self.hanzi = 0

    def reset(self) -> None:
        self.keys = 0
        self.hanzi = 0

    async def press(self, *keys: str) -> None:
        for key in keys:
            self.keys += 1
            await self.pilot.press(key)

    async def type(self, text: str) -> None:
        focused = self.app.focused
        if self.fast and isinstance(focused, Input):
            self.keys += len(text)
            self.hanzi += sum(1 for ch in text if is_hanzi(ch))
            focused.insert_text_at_cursor(text)
            await self.pilot.pause()
            return
        for ch in text:
            if is_hanzi(ch):
                self.hanzi += 1
            self.keys += 1
            await self.pilot.press(KEY_NAMES.get(ch, ch))
        await self.pilot.pause()

    def focused_id(self) -> str:
        f = self.app.focused
        return f.id if f is not None and f.id else ""

    async def fill(self, fields: list[tuple[str, str]], clear: bool = False) -> None:
        """Type each field in order, moving with Tab as a clerk would (each Tab counted)."""
        for fid, text in fields:
            screen = self.app.screen
            steps = getattr(screen, "spec", None) and [s.fields for s in screen.spec.steps]
            if steps and not screen.on_review:
                target = next(i for i, f in enumerate(steps) if fid in f)
                while screen.step_index != target:
                    await self.press("pagedown" if screen.step_index < target else "pageup")
            for _ in range(40):
                if self.focused_id() == f"f-{fid}":
                    break
                await self.press("tab")
            else:
                raise AssertionError(f"could not reach field {fid}; focus is {self.focused_id()}")
            if clear or self.app.focused.value:
                await self.press("ctrl+a", "ctrl+k")
            await self.type(text)

    def field(self, fid: str) -> Input:
        return self.app.screen.query_one(f"#f-{fid}", Input)
