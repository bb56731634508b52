"""collab.limits.TokenBucket: the allowance behind flow control."""

from __future__ import annotations

from collab.limits import TokenBucket


def test_ready_and_spend_agree_with_delay_and_charge():
    bucket = TokenBucket(rate=1.0, burst=3)
    assert bucket.ready(3) and bucket.delay(3) == 0
    bucket.spend(3)
    assert not bucket.ready(1) and bucket.delay(1) > 0.9
    bucket.charge(2)  # into debt: about three seconds until one is back
    assert bucket.delay(1) > 2.9


def test_more_than_the_burst_waits_only_for_a_full_bucket():
    bucket = TokenBucket(rate=10.0, burst=2)
    assert bucket.ready(50)
    bucket.spend(50)
    assert not bucket.ready(1)


def test_a_zero_rate_never_holds_back():
    bucket = TokenBucket(rate=0.0, burst=0)
    assert bucket.ready(10**9) and bucket.delay(10**9) == 0
