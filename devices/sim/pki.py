"""A test PKI for simulated eMRTDs: a CSCA, a document signer, and EF.SOD signing.

Made with `cryptography` (keys, certificates, signatures) and asn1crypto (the
CMS structure, whose LDS security object content type cryptography cannot sign).
Nothing here is a real country's PKI.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devices.lds import LDS_SECURITY_OBJECT_OID, TAG_SOD, LDSSecurityObject
from devices.tlv import tlv

CSCA_FILE = "csca.pem"
CSCA_KEY_FILE = "csca.key"
DS_FILE = "ds.pem"
DS_KEY_FILE = "ds.key"


@dataclass
class TestPki:
    csca_cert: x509.Certificate
    csca_key: ec.EllipticCurvePrivateKey
    ds_cert: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey

    def write_csca(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / CSCA_FILE
        path.write_bytes(self.csca_cert.public_bytes(serialization.Encoding.PEM))
        return path


def _name(common: str, country: str = "UT") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Counter test PKI"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def generate(common_prefix: str = "Counter test") -> TestPki:
    now = datetime.now(UTC) - timedelta(days=1)
    csca_key = ec.generate_private_key(ec.SECP256R1())
    csca_name = _name(f"{common_prefix} CSCA")
    csca = (x509.CertificateBuilder().subject_name(csca_name).issuer_name(csca_name)
            .public_key(csca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=365 * 15))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(csca_key, hashes.SHA256()))
    ds_key = ec.generate_private_key(ec.SECP256R1())
    ds = (x509.CertificateBuilder().subject_name(_name(f"{common_prefix} Document Signer")).issuer_name(csca_name)
          .public_key(ds_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + timedelta(days=365 * 11))
          .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
          .sign(csca_key, hashes.SHA256()))
    return TestPki(csca, csca_key, ds, ds_key)


def load_or_create(directory: Path) -> TestPki:
    """The PKI kept in a directory, so several simulated cards share one CSCA a station can trust."""
    files = [directory / n for n in (CSCA_FILE, CSCA_KEY_FILE, DS_FILE, DS_KEY_FILE)]
    if all(f.exists() for f in files):
        return TestPki(x509.load_pem_x509_certificate(files[0].read_bytes()),
                       serialization.load_pem_private_key(files[1].read_bytes(), None),
                       x509.load_pem_x509_certificate(files[2].read_bytes()),
                       serialization.load_pem_private_key(files[3].read_bytes(), None))
    pki = generate()
    directory.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    key_args = (pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    files[0].write_bytes(pki.csca_cert.public_bytes(pem))
    files[1].write_bytes(pki.csca_key.private_bytes(*key_args))
    files[2].write_bytes(pki.ds_cert.public_bytes(pem))
    files[3].write_bytes(pki.ds_key.private_bytes(*key_args))
    return pki


def build_sod(pki: TestPki, data_groups: dict[int, bytes]) -> bytes:
    """EF.SOD: CMS SignedData over an LDS security object with SHA-256 data-group hashes."""
    lso = LDSSecurityObject({
        "version": 0,
        "hash_algorithm": {"algorithm": "sha256"},
        "data_group_hash_values": [
            {"data_group_number": n, "data_group_hash_value": hashlib.sha256(d).digest()}
            for n, d in sorted(data_groups.items())
        ],
    })
    econtent = lso.dump()
    signed_attrs = cms.CMSAttributes([
        {"type": "content_type", "values": [LDS_SECURITY_OBJECT_OID]},
        {"type": "message_digest", "values": [hashlib.sha256(econtent).digest()]},
    ])
    signature = pki.ds_key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
    ds_asn1 = asn1_x509.Certificate.load(pki.ds_cert.public_bytes(serialization.Encoding.DER))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
            "issuer": ds_asn1.issuer, "serial_number": ds_asn1.serial_number})}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "signed_attrs": signed_attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        "signature": signature,
    })
    signed_data = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {"content_type": LDS_SECURITY_OBJECT_OID,
                               "content": core.ParsableOctetString(econtent)},
        "certificates": [ds_asn1],
        "signer_infos": [signer],
    })
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return tlv(TAG_SOD, info.dump())
