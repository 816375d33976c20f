"""The lease's pure decisions: which (destination, account) groups of young events fill a
batch, and when reading only a destination's oldest events is not enough to say."""

from __future__ import annotations

from pinbridge.queue.rules import full_batches


def test_a_group_fills_a_batch_by_count_or_by_bytes() -> None:
    groups = [("eu", "acct", 3, 10, 5.0), ("us", "acct", 1, 900, 6.0), ("fr", "acct", 2, 20, 1.0)]
    full, unsure = full_batches(groups, 3, 500, complete=False)
    assert (sorted(full), unsure) == ([(5.0, "eu", "acct"), (6.0, "us", "acct")], [])


def test_one_account_seen_up_to_the_limit_needs_no_second_look() -> None:
    full, unsure = full_batches([("eu", "a", 3, 30, 1.0)], 3, 10**6, complete=False)
    assert (full, unsure) == ([(1.0, "eu", "a")], [])


def test_several_accounts_seen_up_to_the_limit_need_every_event_read() -> None:
    groups = [("eu", "a", 2, 20, 1.0), ("eu", "b", 1, 10, 2.0), ("us", "c", 1, 10, 0.5)]
    full, unsure = full_batches(groups, 3, 10**6, complete=False)
    assert (full, unsure) == ([], ["eu"])
    assert full_batches(groups[:2], 3, 10**6, complete=True) == ([], [])


def test_several_accounts_below_the_limit_are_the_whole_answer() -> None:
    groups = [("eu", "a", 1, 600, 1.0), ("eu", "b", 1, 10, 2.0)]
    assert full_batches(groups, 3, 500, complete=False) == ([(1.0, "eu", "a")], [])
