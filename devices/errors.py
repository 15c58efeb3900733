"""Reader and card states the app reacts to, and the one exception that carries them.

Messages are English and double as gettext msgids (the UI translates them);
they never contain personal data.
"""

from __future__ import annotations

# States a reader or card can be in when a read does not give a document.
NO_SERVICE = "no_service"  # pcscd is not running (or restarted under us)
NO_READER = "no_reader"  # no reader attached, or the configured one is gone
NO_CARD = "no_card"
CARD_REMOVED = "card_removed"  # pulled mid-read: put it back and the read starts over
UNSUPPORTED_CARD = "unsupported_card"  # no profile recognises the card
MRZ_KEY_REQUIRED = "mrz_key_required"  # an eMRTD needs the MRZ key before it can be read
MRZ_MISMATCH = "mrz_mismatch"  # the card refused BAC with the MRZ key given
CARD_ERROR = "card_error"  # the card answered something a profile cannot use
# SAM readers (resident ID card): states of the reader's security module and its card
SAM_NOT_READY = "sam_not_ready"  # the SAM failed its self-test or is not authorised
CARD_AUTH_FAILED = "card_auth_failed"  # card and SAM did not authenticate each other
READ_FAILED = "read_failed"  # the SAM could not read the card's data
PRESENT_AGAIN = "present_again"  # the reader refuses a card until it has left the field
READER_SILENT = "reader_silent"  # the reader on the serial port stopped answering

MESSAGES = {
    NO_SERVICE: "the smart-card service (pcscd) is not running; start it or call district IT",
    NO_READER: "no card reader found; check the reader's cable",
    NO_CARD: "no card in the reader",
    CARD_REMOVED: "the card was removed during reading; insert it again",
    UNSUPPORTED_CARD: "this card is not a supported document; enter the data by hand",
    MRZ_KEY_REQUIRED: "enter the document number, birth date and expiry date from the MRZ",
    MRZ_MISMATCH: "MRZ does not match this document; check the document number and dates",
    CARD_ERROR: "the card could not be read; remove it and insert it again",
    SAM_NOT_READY: "the ID card reader's security module is not ready; unplug the reader, plug it in again or call district IT",
    CARD_AUTH_FAILED: "the ID card failed authentication with the reader; it may be damaged or not genuine",
    READ_FAILED: "the ID card could not be read; take the card away and present it again",
    PRESENT_AGAIN: "take the card away and present it again",
    READER_SILENT: "the ID card reader does not answer; check its cable and the port in station.toml",
}

# States after which the same card can be read again without any change by the clerk
RETRYABLE = frozenset({CARD_REMOVED, CARD_ERROR, READ_FAILED, PRESENT_AGAIN})


class CardError(Exception):
    """A read that did not give a document; `state` is one of the constants above."""

    def __init__(self, state: str, message: str | None = None, detail: str = ""):
        self.state = state
        self.message = message or MESSAGES.get(state, state)
        self.detail = detail  # technical, for district IT: status words, hresults; no personal data
        super().__init__(self.message if not detail else f"{self.message} ({detail})")


class CardRemoved(CardError):
    def __init__(self, detail: str = ""):
        super().__init__(CARD_REMOVED, detail=detail)


class StatusError(CardError):
    """The card answered a status word other than success."""

    def __init__(self, sw: int, what: str):
        self.sw = sw
        super().__init__(CARD_ERROR, detail=f"{what}: SW {sw:04X}")
