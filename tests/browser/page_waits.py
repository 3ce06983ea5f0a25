"""Waiting for the page's state in the Chromium page tests."""

TIMEOUT_MS = 20000


def ended(page, reason, timeout=TIMEOUT_MS):
    """Wait until the page says its session ended for ``reason`` (finished, lost, ...)."""
    page.wait_for_selector(f'body[data-last-end="{reason}"]', state="attached", timeout=timeout)
