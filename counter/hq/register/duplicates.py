"""`counter hq duplicates`: files of the district that may be one person twice, or two under one number."""

from __future__ import annotations

from counter.domain.citizen_id import mask
from counter.hq.store import Store


def duplicates(store: Store) -> dict[str, list[dict]]:
    """Files that may be one person twice, or two people under one number (seed 003_* 篇1's cross-check).

    - same_number: one document number under different names (at any stations);
    - same_person: one name, birth date and household area under different document numbers.
    ID numbers are masked; each file names its station."""
    with store.transaction() as tx:
        by_number = tx.all(
            "SELECT p.doc_type, p.id_number, p.name, p.station_id, p.person_id FROM persons p JOIN ("
            " SELECT doc_type, id_number FROM persons GROUP BY doc_type, id_number HAVING count(DISTINCT name) > 1"
            ") d ON d.doc_type = p.doc_type AND d.id_number = p.id_number ORDER BY p.id_number, p.name, p.person_id")
        by_person = tx.all(
            "SELECT p.name, p.birth_date, p.household_area, p.id_number, p.station_id, p.person_id FROM persons p JOIN ("
            " SELECT name, birth_date, household_area FROM persons WHERE household_area IS NOT NULL"
            " AND birth_date IS NOT NULL GROUP BY name, birth_date, household_area HAVING count(DISTINCT id_number) > 1"
            ") d ON d.name = p.name AND d.birth_date = p.birth_date AND d.household_area = p.household_area"
            " ORDER BY p.household_area, p.name, p.birth_date, p.id_number")
    same_number: dict[tuple, dict] = {}
    for doc_type, number, name, sid, pid in by_number:
        group = same_number.setdefault((doc_type, number), {"doc_type": doc_type, "id_masked": mask(number),
                                                           "files": []})
        group["files"].append({"name": name, "station_id": sid, "ref": pid})
    same_person: dict[tuple, dict] = {}
    for name, birth, area, number, sid, pid in by_person:
        group = same_person.setdefault((name, birth, area), {"name": name, "birth_date": birth, "household_area": area,
                                                            "files": []})
        group["files"].append({"id_masked": mask(number), "station_id": sid, "ref": pid})
    return {"same_number": list(same_number.values()), "same_person": list(same_person.values())}

