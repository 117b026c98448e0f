"""The bulk score writer names every column of AccountScore."""

from kam.identification.models import AccountScore
from kam.identification.services import SCORE_COLUMNS


def test_the_score_writer_covers_every_column():
    columns = {f.attname for f in AccountScore._meta.concrete_fields if not f.primary_key}
    assert set(SCORE_COLUMNS) == columns
    assert len(SCORE_COLUMNS) == len(columns)
