"""The pure ICAO functions against the worked examples of ICAO Doc 9303 Part 11, Appendix D."""

from __future__ import annotations

import pytest

from devices import icao
from devices.icao_crypto import (
    SecureMessaging,
    SecureMessagingError,
    adjust_parity,
    bac_command,
    bac_session,
    derive_key,
    key_seed,
    retail_mac,
    tdes_encrypt,
)
from devices.mrz import MrzKey, check_digit

H = bytes.fromhex

# D.2: document number L898902C<, birth 690806, expiry 940623
MRZ_INFORMATION = "L898902C<369080619406236"
K_SEED = H("239AB9CB282DAF66231DC5A4DF6BFBAE")
K_ENC = H("AB94FDECF2674FDFB9B391F85D7F76F2")
K_MAC = H("7962D9ECE03D1ACD4C76089DCE131543")

# D.3: mutual authentication
RND_IC = H("4608F91988702212")
RND_IFD = H("781723860C06C226")
K_IFD = H("0B795240CB7049B01C19B33E32804F0B")
E_IFD = H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
M_IFD = H("5F1448EEA8AD90A7")
K_IC = H("0B4F80323EB3191CB04970CB4052790B")
E_IC = H("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F")
M_IC = H("2F2D235D074D7449")
KS_ENC = H("979EC13B1CBFE9DCD01AB0FED307EAE5")
KS_MAC = H("F1CB1F1FB5ADF208806B89DC579DC1F8")
SSC = 0x887022120C06C226


def test_mrz_information_with_check_digits():
    assert MrzKey("L898902C", "690806", "940623").seed_text() == MRZ_INFORMATION
    assert check_digit("L898902C<") == "3"
    assert check_digit("690806") == "1"
    assert check_digit("940623") == "6"


def test_key_seed_and_bac_keys_d2():
    assert key_seed(MRZ_INFORMATION) == K_SEED
    assert derive_key(K_SEED, 1) == K_ENC
    assert derive_key(K_SEED, 2) == K_MAC
    assert icao.bac_keys("L898902C", "690806", "940623") == (K_ENC, K_MAC)
    # the document number may also be given with its filler
    assert icao.bac_keys("L898902C<", "690806", "940623") == (K_ENC, K_MAC)


def test_parity_adjustment_is_odd_parity():
    adjusted = adjust_parity(bytes(range(16)))
    assert all(bin(b).count("1") % 2 == 1 for b in adjusted)
    assert adjust_parity(K_ENC) == K_ENC  # published keys are already adjusted


def test_mutual_authentication_command_d3():
    s = RND_IFD + RND_IC + K_IFD
    assert tdes_encrypt(K_ENC, s) == E_IFD
    assert retail_mac(K_MAC, E_IFD) == M_IFD  # the retail MAC example of D.3
    assert bac_command(K_ENC, K_MAC, RND_IC, RND_IFD, K_IFD) == E_IFD + M_IFD


def test_session_keys_and_ssc_from_card_answer_d3():
    assert retail_mac(K_MAC, E_IC) == M_IC
    sm = bac_session(K_ENC, K_MAC, RND_IC, RND_IFD, K_IFD, E_IC + M_IC)
    assert sm.ks_enc == KS_ENC
    assert sm.ks_mac == KS_MAC
    assert sm.ssc == SSC
    assert derive_key(H("0036D272F5C350ACAC50C3F572D23600"), 1) == KS_ENC


def test_card_answer_with_bad_mac_is_refused():
    with pytest.raises(SecureMessagingError):
        bac_session(K_ENC, K_MAC, RND_IC, RND_IFD, K_IFD, E_IC + bytes(8))


def test_secure_messaging_d4():
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    # SELECT EF.COM
    assert sm.wrap(H("00A4020C02011E")) == H("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
    assert sm.ssc == 0x887022120C06C227
    assert sm.unwrap(H("990290008E08FA855A5D4C50A8ED9000")) == (b"", 0x9000)
    # READ BINARY, first four bytes
    assert sm.wrap(H("00B0000004")) == H("0CB000000D9701048E08ED6705417E96BA5500")
    data, sw = sm.unwrap(H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
    assert (data, sw) == (H("60145F01"), 0x9000)
    # READ BINARY, the remaining 18 bytes from offset 4
    assert sm.wrap(H("00B0000412")) == H("0CB000040D9701128E082EA28A70F3C7B53500")
    data, sw = sm.unwrap(H("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"))
    assert data == H("04303130365F36063034303030305C026175")
    assert sw == 0x9000
    assert sm.ssc == 0x887022120C06C22C


def test_response_mac_intermediate_values_d4():
    # D.4: K = SSC || DO99 padded, CC' over it with KS_mac
    assert retail_mac(KS_MAC, H("887022120C06C228") + H("99029000")) == H("FA855A5D4C50A8ED")
    assert retail_mac(KS_MAC, H("887022120C06C2270CA4020C80000000") + H("8709016375432908C044F6")) == \
        H("BF8B92D635FF24F8")


def test_tampered_response_is_refused():
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.wrap(H("00A4020C02011E"))
    sm.unwrap(H("990290008E08FA855A5D4C50A8ED9000"))
    sm.wrap(H("00B0000004"))
    tampered = H("8709019FF0EC34F9922652990290008E08AD55CC17140B2DED9000")
    with pytest.raises(SecureMessagingError):
        sm.unwrap(tampered)


def test_plain_error_status_passes_through_unwrap():
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.wrap(H("00A4020C02011E"))
    assert sm.unwrap(H("6982")) == (b"", 0x6982)
