"""Both pyscard exception hierarchies map to the states the app knows (no daemon needed)."""

from __future__ import annotations

import pytest
from smartcard import scard
from smartcard.Exceptions import CardConnectionException, NoCardException, NoReadersException
from smartcard.pcsc.PCSCExceptions import EstablishContextException, ListReadersException

from devices.errors import CARD_ERROR, CARD_REMOVED, NO_CARD, NO_READER, NO_SERVICE, UNSUPPORTED_CARD
from devices.pcsc import PYSCARD_ERRORS, map_exception


@pytest.mark.parametrize(("exc", "state"), [
    (EstablishContextException(scard.SCARD_E_NO_SERVICE), NO_SERVICE),
    (ListReadersException(scard.SCARD_E_NO_SERVICE), NO_SERVICE),
    (ListReadersException(scard.SCARD_E_NO_READERS_AVAILABLE), NO_READER),
    (NoReadersException(), CARD_ERROR),
    (NoCardException("no card", scard.SCARD_E_NO_SMARTCARD), NO_CARD),
    (CardConnectionException("gone", hresult=scard.SCARD_W_REMOVED_CARD), CARD_REMOVED),
    (CardConnectionException("reset", hresult=scard.SCARD_W_RESET_CARD), CARD_REMOVED),
    (CardConnectionException("mute", hresult=scard.SCARD_W_UNRESPONSIVE_CARD), UNSUPPORTED_CARD),
    (CardConnectionException("stopped", hresult=scard.SCARD_E_SERVICE_STOPPED), NO_SERVICE),
    (CardConnectionException("reader", hresult=scard.SCARD_E_UNKNOWN_READER), NO_READER),
])
def test_mapping(exc, state):
    assert isinstance(exc, PYSCARD_ERRORS)
    error = map_exception(exc)
    assert error.state == state
    assert error.message  # a clear line for the clerk


def test_sharing_violation_says_the_card_is_busy():
    error = map_exception(CardConnectionException("busy", hresult=scard.SCARD_E_SHARING_VIOLATION))
    assert "in use by another program" in error.message
