"""A landlord's or employer's report now opens and ends a statistics period like a window registration
(counter/stats.py), and a guest's leaving no longer ends their home. Facts folded before that lack the
reported periods, so the fold starts again: the next `counter hq stats` (or dashboard page) folds the
journals HQ holds once more, with a progress bar. The tables keep their shape."""

SUMMARY = "statistics facts refolded: reports' residence periods counted"


def upgrade(tx) -> None:
    for table in ("stat_facts", "stat_persons", "stat_permits", "stat_cursor"):
        tx.execute(f"DELETE FROM {table}")
