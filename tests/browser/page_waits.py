"""Waiting for the page's state in the Chromium page tests."""

import time

TIMEOUT_MS = 20000


def ended(page, reason, timeout=TIMEOUT_MS):
    """Wait until the page says its session ended for ``reason`` (finished, lost, ...)."""
    page.wait_for_selector(f'body[data-last-end="{reason}"]', state="attached", timeout=timeout)


def until(page, expression, timeout=TIMEOUT_MS):
    """Wait until the JavaScript ``expression`` is truthy on the page, polling from here.

    ``page.wait_for_function`` polls inside the page with ``eval``, which a page whose Content-Security-Policy
    has no 'unsafe-eval' forbids; ``page.evaluate`` goes through the DevTools protocol, which the policy does
    not govern, so this works on such pages as well."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression!r} still false after {timeout} ms")
        time.sleep(0.1)
