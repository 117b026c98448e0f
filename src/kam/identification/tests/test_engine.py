"""The scoring engine is pure: plain data in, scores out, no database and no ORM."""

import subprocess
import sys
from pathlib import Path

import kam
from kam.identification.engine import AccountInputs, CriterionSpec, ModelSpec, score_population


def test_engine_imports_no_orm():
    """Importing the engine loads neither ``django.db`` nor the identification models."""
    src = Path(kam.__file__).resolve().parents[1]
    code = (
        "import sys, kam.identification.engine\n"
        "print(sorted(m for m in sys.modules"
        " if m.startswith('django.db') or m == 'kam.identification.models'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(src), "PATH": ""},
    )
    assert done.stdout.strip() == "[]"


def test_engine_scores_plain_data_without_a_database():
    """No django_db mark: any query here would fail the test."""
    spec = ModelSpec(
        id=None,
        version=1,
        criteria=(
            CriterionSpec("revenue", "Revenue", "potential", "revenue_12m", "percentile", 1.0),
            CriterionSpec("will", "Willingness", "relational", "willingness", "rubric", 1.0),
        ),
    )
    inputs = [
        AccountInputs(id=2, path="00002", name="Bravo", revenue_12m_cents=10000),
        AccountInputs(id=1, path="00001", name="Alpha", revenue_12m_cents=30000, willingness=8),
    ]
    alpha, bravo = score_population(inputs, spec)
    assert (alpha.name, alpha.total, alpha.rank) == ("Alpha", 90.0, 1)  # 100 × (1 + 0.8) / 2
    assert (bravo.name, bravo.total, bravo.rank) == ("Bravo", 25.0, 2)  # 100 × (0.5 + 0) / 2
    assert alpha.recommendation == "key_candidate"
    assert bravo.gaps == ["will"]
    assert bravo.completeness == 50.0
