"""Card profiles over the in-process simulated reader: every sample, authenticity, APDU counts, faults."""

from __future__ import annotations

from datetime import date

import pytest

from devices import identity, lds
from devices.errors import MRZ_KEY_REQUIRED, MRZ_MISMATCH, UNSUPPORTED_CARD, CardError
from devices.sim import samples
from devices.simulated import SimulatedReader


@pytest.fixture(scope="module")
def reader():
    return SimulatedReader()


def read(reader, sample_id, **options):
    reader.insert(sample_id)
    key = options.pop("mrz_key", samples.get(sample_id).mrz_key)
    certs = options.pop("csca_certs", reader.trusted_cscas)
    return reader.read_card(mrz_key=key, csca_certs=certs, **options)


def test_sscard_with_rare_character(reader):
    doc = read(reader, "sscard-ji").document
    assert doc.doc_type == identity.SSCARD
    assert doc.name == "𠮷永康"
    assert doc.citizen_id == samples.citizen_id("210102", date(1988, 4, 17), 135)
    assert (doc.sex, doc.ethnicity, doc.birthplace, doc.birth_date) == ("M", "01", "210102", date(1988, 4, 17))
    assert doc.authenticity == identity.NOT_APPLICABLE
    assert doc.face_image is None


def test_sscard_minority_name_and_ext_a_character(reader):
    doc = read(reader, "sscard-ayigul").document
    assert doc.name == "阿依古丽·买买提"
    assert (doc.sex, doc.ethnicity) == ("F", "05")
    assert doc.citizen_id.endswith("X")
    assert read(reader, "sscard-yan").document.name == "李䶮"


def test_sscard_reads_in_five_apdus(reader):
    # SELECT DF + (READ RECORD all, resend after 6Cxx) for EF05 and EF06
    assert read(reader, "sscard-ji").apdus == 5


def test_sscard_without_multi_record_read_falls_back_to_single_records(reader):
    from devices.sim.sscard_card import SscardCard

    reader.insert(SscardCard(samples.get("sscard-yan").holder, multi_record=False))
    result = reader.read_card()
    assert result.document.name == "李䶮"
    assert result.apdus > 5


def test_td3_foreign_passport_verified_with_face(reader):
    result = read(reader, "passport-deu")
    doc = result.document
    assert doc.doc_type == identity.EMRTD_TD3
    assert (doc.surname, doc.given_names, doc.name) == ("MUELLER", "ANNA MARIA", "MUELLER ANNA MARIA")
    assert (doc.nationality, doc.sex, doc.birth_date, doc.expiry_date) == ("D", "F", date(1979, 8, 12),
                                                                           date(2031, 6, 30))
    assert doc.authenticity == identity.VERIFIED
    assert doc.face_format == "jpeg" and doc.face_image.startswith(b"\xff\xd8\xff")
    assert len(doc.face_image) > 5000
    assert set(doc.dg_hashes) == {"DG1", "DG2"}
    assert doc.citizen_id is None
    # SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE, then one extended READ BINARY per file
    assert result.apdus == 7
    summary = doc.summary()
    assert summary["face_image"]["length"] == len(doc.face_image)
    assert len(summary["face_image"]["sha256"]) == 64


def test_chinese_passport_national_name_and_citizen_id_from_dg11(reader):
    doc = read(reader, "passport-chn").document
    assert doc.name == "欧阳䶮"
    assert doc.surname == "OUYANG"
    assert doc.citizen_id == samples.citizen_id("110101", date(1990, 6, 1), 17)
    assert set(doc.dg_hashes) == {"DG1", "DG2", "DG11"}
    assert doc.authenticity == identity.VERIFIED


def test_td1_card_with_jpeg2000_face(reader):
    doc = read(reader, "idcard-td1").document
    assert doc.doc_type == identity.EMRTD_TD1
    assert doc.face_format == "jp2"
    assert doc.face_image.startswith(lds.JP2_MAGIC)
    assert doc.document_number == "D23145890"


def test_altered_data_page_fails_passive_authentication(reader):
    doc = read(reader, "passport-forged").document
    assert doc.authenticity == identity.FAILED
    assert "DG1" in doc.authenticity_detail


def test_without_csca_the_document_is_not_verified(reader):
    doc = read(reader, "passport-deu", csca_certs=[]).document
    assert doc.authenticity == identity.NOT_VERIFIED
    assert "CSCA" in doc.authenticity_detail


def test_a_different_countrys_csca_does_not_verify(reader):
    from devices.sim.pki import generate

    other = generate("Other country")
    doc = read(reader, "passport-deu", csca_certs=[other.csca_cert]).document
    assert doc.authenticity == identity.NOT_VERIFIED


def test_csca_with_the_right_name_but_wrong_key_fails(reader):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    real = reader.trusted_cscas[0]
    key = ec.generate_private_key(ec.SECP256R1())
    impostor = (x509.CertificateBuilder().subject_name(real.subject).issuer_name(real.subject)
                .public_key(key.public_key()).serial_number(1).not_valid_before(real.not_valid_before_utc)
                .not_valid_after(real.not_valid_after_utc).sign(key, hashes.SHA256()))
    doc = read(reader, "passport-deu", csca_certs=[impostor]).document
    assert doc.authenticity == identity.FAILED


def test_sod_signature_tampering_fails():
    from devices.icao import FILES
    from devices.sim.documents import icao_files
    from devices.sim.icao_card import IcaoCard

    sample = samples.get("passport-deu")
    files = icao_files(sample.holder, samples.shared_pki())
    sod = bytearray(files[FILES["SOD"][1]])
    sod[-5] ^= 0x01  # inside the signature
    files[FILES["SOD"][1]] = bytes(sod)
    reader = SimulatedReader()
    reader.insert(IcaoCard(files, sample.mrz_key))
    doc = reader.read_card(mrz_key=sample.mrz_key, csca_certs=reader.trusted_cscas).document
    assert doc.authenticity == identity.FAILED


def test_short_apdus_only_take_more_commands_but_give_the_same_document(reader):
    from devices.sim.documents import icao_card

    sample = samples.get("passport-deu")
    extended = read(reader, "passport-deu")
    reader.insert(icao_card(sample.holder, reader.pki, extended=False))
    short = reader.read_card(mrz_key=sample.mrz_key, csca_certs=reader.trusted_cscas)
    assert short.document == extended.document
    face = len(extended.document.face_image)
    assert short.apdus >= 3 + 4 + face // 231


def test_wrong_mrz_key_says_mrz_does_not_match(reader):
    reader.insert("passport-deu")
    with pytest.raises(CardError) as err:
        reader.read_card(mrz_key=samples.get("passport-chn").mrz_key)
    assert err.value.state == MRZ_MISMATCH
    assert str(err.value).startswith("MRZ does not match this document")


def test_emrtd_without_key_asks_for_it(reader):
    reader.insert("idcard-td1")
    with pytest.raises(CardError) as err:
        reader.read_card()
    assert err.value.state == MRZ_KEY_REQUIRED


def test_unknown_card_is_unsupported(reader):
    reader.insert("unknown-card")
    with pytest.raises(CardError) as err:
        reader.read_card()
    assert err.value.state == UNSUPPORTED_CARD


def test_card_errors_carry_no_personal_data(reader):
    sample = samples.get("passport-deu")
    reader.insert("passport-chn")
    with pytest.raises(CardError) as err:
        reader.read_card(mrz_key=sample.mrz_key)
    text = str(err.value) + repr(err.value) + err.value.detail
    assert sample.holder.document_number not in text
