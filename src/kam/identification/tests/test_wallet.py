import pytest

from kam.identification.models import AccountScore
from kam.identification.selectors import scoring_model_active
from kam.identification.services import assessment_update, scoring_run_execute
from kam.identification.wallet import WalletAccount, estimate_wallets, quantile, size_band
from kam.testing.factories import make_unit


def peers(n, industry="chemicals", employees=100, start_id=1):
    # revenue per employee 1, 2, …, n
    return [
        WalletAccount(
            id=start_id + i,
            industry=industry,
            employees=employees,
            revenue=float((i + 1) * employees),
        )
        for i in range(n)
    ]


def test_quantile_interpolates_like_numpy():
    assert quantile([float(v) for v in range(1, 11)], 0.8) == pytest.approx(8.2)
    assert quantile([5.0], 0.8) == 5.0


def test_no_peer_estimate_below_ten_peers():
    wallets = estimate_wallets(peers(9))
    assert all(w.wallet is None for w in wallets.values())
    assert all(w.basis == "" for w in wallets.values())


def test_peer_estimate_with_ten_peers():
    wallets = estimate_wallets(peers(10))
    # 0.8 quantile of 1..10 per employee = 8.2, × 100 employees
    assert wallets[1].wallet == pytest.approx(820)
    assert wallets[1].basis == "peer"
    assert wallets[1].peers == 10
    assert wallets[1].share(100) == pytest.approx(100 / 820)
    assert wallets[1].headroom(100) == pytest.approx(720)
    assert wallets[10].share(1000) == 1.0
    assert wallets[10].headroom(1000) == 0


def test_manual_estimate_overrides_the_peer_estimate():
    accounts = peers(10)
    accounts[0] = WalletAccount(id=1, industry="chemicals", employees=100, revenue=100, manual=5000)
    wallets = estimate_wallets(accounts)
    assert (wallets[1].wallet, wallets[1].basis) == (5000, "manual")
    assert wallets[2].basis == "peer"


def test_size_band_first_then_industry():
    small = peers(6, employees=20)
    large = peers(5, employees=2000, start_id=100)
    wallets = estimate_wallets(small + large)
    # neither band has 10 peers: the industry's 11 values per employee are used
    per_head = quantile([float(v) for v in [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5]], 0.8)
    assert wallets[1].wallet == pytest.approx(per_head * 20)
    assert size_band(20) != size_band(2000)
    banded = estimate_wallets(peers(10, employees=20) + peers(10, employees=2000, start_id=100))
    assert banded[1].wallet == pytest.approx(8.2 * 20)


@pytest.mark.django_db
def test_scores_carry_wallet_share_and_headroom(sell, month):
    accounts = []
    for i in range(10):
        account = make_unit(f"Chem {i}", industry="chemicals", employees=100)
        sell(account, (i + 1) * 100, month(3))
        accounts.append(account)
    assessment_update(
        account=accounts[1],
        wallet_estimate=5000,
        wallet_source="CFO interview",
        wallet_confidence="high",
    )
    run = scoring_run_execute(model=scoring_model_active())
    first = AccountScore.objects.get(run=run, account=accounts[0])
    # peers: the nine with revenue per employee 1, 3…10 and the manual one (2) still counts
    assert first.wallet_basis == "peer"
    assert float(first.wallet) == pytest.approx(820)
    assert first.share_of_wallet == pytest.approx(round(100 / 820, 4))
    assert float(first.headroom) == pytest.approx(720)
    manual = AccountScore.objects.get(run=run, account=accounts[1])
    assert (float(manual.wallet), manual.wallet_basis) == (5000, "manual")
    assert manual.share_of_wallet == pytest.approx(0.04)
    assert float(manual.headroom) == 4800
    assert "wallet" not in first.gaps


@pytest.mark.django_db
def test_a_page_reads_an_accounts_wallet_once(django_assert_num_queries):
    """The account page's stage rules and its wallet panel both ask for the wallet."""
    from decimal import Decimal

    from kam.core.metrics import reading
    from kam.identification.metrics import wallets
    from kam.identification.models import AccountAssessment

    account = make_unit("Acme")
    AccountAssessment.objects.create(account=account, wallet_estimate=Decimal("5000"))
    with reading():
        with django_assert_num_queries(2):  # the latest run (none), the manual estimates
            first = wallets([account.pk])
        with django_assert_num_queries(0):
            again = wallets([account.pk])
    assert first == again == {account.pk: Decimal("5000")}
    with django_assert_num_queries(2):  # outside a page's reading: read again
        wallets([account.pk])
