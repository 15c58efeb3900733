"""MRZ parsing (the ICAO specimen MRZs of Doc 9303 Parts 4 and 5), TLV and APDU encoding."""

from __future__ import annotations

import pytest

from devices import mrz, tlv
from devices.apdu import CardChannel, atr_extended_length, command, historical_bytes
from devices.icao_crypto import max_sm_read, parse_command

TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD1 = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"


def test_td3_specimen():
    zone = mrz.parse(TD3)
    assert zone.format == "TD3"
    assert (zone.surname, zone.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert zone.document_number == "L898902C3"
    assert (zone.birth_date, zone.expiry_date, zone.sex, zone.nationality) == ("740812", "120415", "F", "UTO")
    assert zone.optional_data == "ZE184226B"
    assert zone.key.seed_text() == "L898902C3674081221204159"


def test_td1_specimen():
    zone = mrz.parse(TD1)
    assert zone.format == "TD1"
    assert zone.document_number == "D23145890"
    assert (zone.birth_date, zone.expiry_date) == ("740812", "120415")
    assert zone.surname == "ERIKSSON"


def test_keyboard_wedge_scan_forms():
    # scanners send CR between lines, sometimes lower case or with spaces; DG1 gives one run
    assert mrz.parse(TD3.replace("\n", "\r").lower()).document_number == "L898902C3"
    assert mrz.parse(TD1.replace("\n", "")).document_number == "D23145890"
    assert mrz.parse("  " + TD3.replace("\n", " \n ")).key.birth_date == "740812"


def test_bad_check_digit_is_refused_with_a_clear_message():
    broken = TD3.replace("L898902C36", "L898902C37")
    with pytest.raises(mrz.MrzError, match="check digit of the document number"):
        mrz.parse(broken)
    with pytest.raises(mrz.MrzError, match="3 lines of 30"):
        mrz.parse("P<UTO")


def test_key_text_and_manual_entry():
    key = mrz.parse_key_text("l898902c:690806:940623")
    assert key.seed_text() == "L898902C<369080619406236"
    assert mrz.parse_key_text(TD1).document_number == "D23145890"
    with pytest.raises(mrz.MrzError, match="six digits"):
        mrz.make_key("L898902C", "69086", "940623")
    with pytest.raises(mrz.MrzError, match="date"):
        mrz.make_key("L898902C", "691306", "940623")
    assert "L898902C" not in repr(key)  # never in logs


def test_compose_round_trips():
    text = mrz.compose_td1("I", "UTO", "ERIKSSON", "ANNA MARIA", "D23145890", "UTO", "740812", "F", "120415")
    assert mrz.parse(text).key == mrz.parse(TD1).key
    text = mrz.compose_td3("P", "UTO", "ERIKSSON", "ANNA MARIA", "L898902C3", "UTO", "740812", "F", "120415")
    assert mrz.parse(text).given_names == "ANNA MARIA"


def test_tlv_lengths_and_tags():
    assert tlv.encode_length(0x7F) == b"\x7f"
    assert tlv.encode_length(0x80) == b"\x81\x80"
    assert tlv.encode_length(0x1234) == b"\x82\x12\x34"
    obj = tlv.tlv(0x5F1F, b"A" * 300)
    assert obj[:5] == bytes.fromhex("5F1F82012C")
    assert tlv.header(obj) == (0x5F1F, 5, 300)
    nested = tlv.tlv(0x75, tlv.tlv(0x7F61, tlv.tlv(0x02, b"\x01") + tlv.tlv(0x5F2E, b"xyz")))
    assert tlv.find(nested, 0x5F2E) == b"xyz"
    with pytest.raises(tlv.TlvError):
        list(tlv.iter_tlv(b"\x61\x05ab"))


def test_apdu_encoding_cases():
    assert command(0, 0xB0, 0x81, 0, le=256) == bytes.fromhex("00B0810000")
    assert command(0, 0xB0, 0x81, 0, le=1000) == bytes.fromhex("00B08100" "0003E8")
    assert command(0, 0xA4, 4, 0x0C, b"\xa0\x00") == bytes.fromhex("00A4040C02A000")
    assert parse_command(bytes.fromhex("00B08100" "0003E8")) == (b"", 1000, True)
    assert parse_command(bytes.fromhex("00A4040C02A000")) == (b"\xa0\x00", None, False)
    assert parse_command(bytes.fromhex("00820000" "02" "AABB" "28")) == (b"\xaa\xbb", 0x28, False)


def test_largest_sm_read_sizes():
    assert max_sm_read(256) == 231  # short Le: DO87+DO99+DO8E must fit 256 bytes
    assert 65000 < max_sm_read(65533) < 65533


def test_atr_historical_bytes_and_extended_length_bit():
    from devices.sim.base import make_atr

    atr = make_atr(bytes.fromhex("8073802140"), t1=True)
    assert historical_bytes(atr) == bytes.fromhex("8073802140")
    assert atr_extended_length(atr)
    assert not atr_extended_length(make_atr(bytes.fromhex("8073802100"), t1=True))
    assert historical_bytes(make_atr(b"CHN.SSC.LDT5", t1=False)) == b"CHN.SSC.LDT5"


class _Raw:
    """A transport straight onto a card OS (our simulator), counting nothing itself."""

    def __init__(self, card):
        self.card = card
        self.atr = card.atr
        self.extended_length = True
        self.sent: list[bytes] = []

    def transmit(self, apdu):
        self.sent.append(apdu)
        return self.card.process(apdu)

    def close(self):
        pass


def test_channel_follows_61xx_with_get_response():
    from devices.sim.samples import SAMPLES, card_for
    from devices.sscard import DF_NAME

    raw = _Raw(card_for(SAMPLES["sscard-ji"]))
    channel = CardChannel(raw)
    response = channel.send(command(0, 0xA4, 4, 0x00, DF_NAME))  # case 3 on T=0: FCI waits behind 61xx
    assert response.sw == 0x9000
    assert tlv.find(tlv.tlv(0x30, response.data), 0x84) == DF_NAME
    assert raw.sent[1][:2] == b"\x00\xc0"
    assert channel.apdu_count == 2


def test_channel_resends_with_le_from_6cxx():
    from devices.sim.samples import SAMPLES, card_for
    from devices.sscard import DF_NAME

    raw = _Raw(card_for(SAMPLES["sscard-ji"]))
    channel = CardChannel(raw)
    channel.select_aid(DF_NAME)
    response = channel.send(command(0, 0xB2, 0x08, (6 << 3) | 4, le=256))
    assert response.sw == 0x9000
    assert response.data[:2] == b"\x08\x12"  # record 08, 18 bytes: the citizen ID
    assert raw.sent[-1][-1] == 20  # resent with Le = 2 + 18
    assert channel.apdu_count == 3
