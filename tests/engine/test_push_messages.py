"""What an operator reads about a push job of a shop: retrying, or stopped for good."""

from __future__ import annotations

from shopify_stock_sync.engine import messages
from shopify_stock_sync.engine.data import ErrorCategory
from shopify_stock_sync.engine.schedule import is_last_attempt, retry_delay


def test_retrying_says_what_when_and_what_stays():
    text = messages.push_retrying(
        "Main", "Shopify throttled SetQuantities (HTTP 429).", 1, 8, 10
    )
    assert text == (
        "Shopify throttled SetQuantities (HTTP 429). Push attempt 1 of 8 of shop "
        "'Main' failed; it will retry in 10 s, the levels stay pending until then."
    )
    # no limit known: no "of N"
    assert "attempt 3 of shop" in messages.push_retrying("Main", "Timeout", 3, 0, 60)


def test_stopped_after_retries_says_what_next():
    text = messages.push_stopped(
        "Main", "Shopify failed on SetQuantities (HTTP 503)", 3, attempts=8
    )
    assert text == (
        "Shopify failed on SetQuantities (HTTP 503). The push of shop 'Main' failed "
        "8 times in a row and stopped; 3 levels stay pending. If Shopify keeps "
        "failing, test the shop's connection. They are pushed again with the next "
        "stock change of their products, with 'Push stock to Shopify now', or with "
        "Re-queue in Shopify Sync / Status / Stock Levels."
    )


def test_stopped_by_a_refusal_names_the_fix():
    text = messages.push_stopped(
        "Main",
        "Shopify refused the access token (HTTP 401)",
        1,
        fix="Fix the credentials, then test the connection",
    )
    assert text.startswith(
        "Shopify refused the access token (HTTP 401). The push of shop 'Main' "
        "stopped; 1 level stays pending. Fix the credentials, then test the "
        "connection. They are pushed again"
    )


def test_held_push_names_the_cause_and_the_one_step_left():
    text = messages.push_held("Main", 3, "Shopify refused the access token (HTTP 401)")
    assert text == (
        "Shopify refused the access token (HTTP 401). Shop 'Main' needs "
        "reconnecting: its pushes to Shopify are held and 3 levels wait. An "
        "administrator fixes the shop's credentials or the app's access scopes, "
        "then clicks Test Connection on the shop: once it passes, every held level "
        "is pushed, with nothing else to do."
    )
    assert messages.push_held("Main", 1).startswith(
        "Shop 'Main' needs reconnecting: its pushes to Shopify are held and 1 level "
        "waits."
    )


def test_retry_delay_grows_with_the_pattern_and_honours_shopify():
    pattern = {"1": 10, "3": 60}  # stored patterns come back with string keys
    assert [retry_delay(n, pattern) for n in (1, 2, 3, 4)] == [10, 10, 60, 60]
    assert retry_delay(1, pattern, retry_after=0.2) == 10
    assert retry_delay(1, pattern, retry_after=12.1) == 13
    assert retry_delay(1, None) == 600
    assert is_last_attempt(5, 5) and not is_last_attempt(4, 5)
    assert not is_last_attempt(99, 0)


def test_failed_jobs_say_what_next_and_whether_they_retry():
    assert messages.job_next_step("auth").startswith("Fix the shop's credentials")
    assert messages.job_next_step(ErrorCategory.TRANSIENT).endswith(
        "re-queue this job."
    )
    assert "will not help" in messages.job_next_step("request")
    assert messages.job_next_step("config").startswith("Complete the shop's settings")
    assert messages.job_next_step("data").startswith("Fix the item")
    assert messages.job_next_step(None).startswith("An unexpected error")
    assert messages.job_next_step("KeyError").startswith("An unexpected error")
    assert messages.job_retry("failed", 8, 8) == "No"
    assert messages.job_retry("cancelled") == "No"
    assert messages.job_retry("started", 1) == "Running"
    assert messages.job_retry("pending", 2, 8) == "Yes, try 3 of 8"
    assert messages.job_retry("pending", 2) == "Yes, try 3"
    assert messages.job_retry("pending") == "Yes"
