"""Sample card reads for the demo station, tests and benchmarks (in-process, no reader).

The devices room's simulated reader replaces this source at merge; these are plain
IdentityDocuments like any card profile returns.
"""

from __future__ import annotations

from datetime import date

from devices.identity import EMRTD_TD3, NOT_VERIFIED, SSCARD, VERIFIED, IdentityDocument

SAMPLE_CARDS: tuple[IdentityDocument, ...] = (
    # from Beijing (another province): a residence registration and a permit at a Liaoning station
    IdentityDocument(doc_type=SSCARD, document_number="L11010519880314", name="𠮷田春", surname="𠮷田",
                     given_names="春", sex="F", birth_date=date(1988, 3, 14), nationality="CHN", issuing_state="CHN",
                     citizen_id="110105198803142125", ethnicity="01", birthplace="北京市",
                     authenticity=NOT_VERIFIED),
    IdentityDocument(doc_type=SSCARD, document_number="L65010219920607", name="阿依古丽·买买提", surname="阿依古丽",
                     given_names="买买提", sex="F", birth_date=date(1992, 6, 7), nationality="CHN",
                     issuing_state="CHN", citizen_id="650102199206070021", ethnicity="05",
                     birthplace="新疆维吾尔自治区乌鲁木齐市", authenticity=NOT_VERIFIED),
    IdentityDocument(doc_type=SSCARD, document_number="L44030519791120", name="王䶮", surname="王", given_names="䶮",
                     sex="M", birth_date=date(1979, 11, 20), nationality="CHN", issuing_state="CHN",
                     citizen_id="440305197911200014", ethnicity="01", birthplace="广东省深圳市",
                     authenticity=NOT_VERIFIED),
    IdentityDocument(doc_type=EMRTD_TD3, document_number="M70689098", name="KIM MINJUN", surname="KIM",
                     given_names="MINJUN", sex="M", birth_date=date(1990, 5, 6), nationality="KOR",
                     issuing_state="KOR", expiry_date=date(2031, 2, 1), authenticity=VERIFIED),
)
