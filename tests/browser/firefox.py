"""Headless firefox-esr driven by Mozilla's own Marionette client (marionette-driver, which starts Firefox
through mozrunner with a fresh profile; no geckodriver).

Scripts run in the page's own global (Marionette's ``sandbox=None``), so on an extension page they see the
WebExtension ``browser`` object, and on a web page its variables. A temporary add-on gets a fixed
moz-extension:// host through the ``extensions.webextensions.uuids`` preference, so its pages can be opened
by URL.

What stands in for a desktop:
- the test machine has no sound card, and without an output device Firefox never lets an AudioContext
  leave "suspended" (its graph falls back to a system clock but the context does not report running and no
  audio is processed): cubeb's mock context (``media.cubeb.force_mock_context``) stands in for the device;
- the microphone is Firefox's fake media stream (a 1 kHz tone), with the permission prompt turned off.
Autoplay stays at Firefox's default (audible media blocked until the user interacts with the page): tests
click the page's controls as a person would.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .conftest import _missing

FIREFOX = os.environ.get("WHISPER_LIVE_FIREFOX", "/usr/bin/firefox-esr")
EXTENSION_ID = "captions@whisper-live.invalid"  # extensions/firefox/manifest.json
EXTENSION_UUID = "5b4e0d1c-7f3a-4c55-9a8e-2d6f1e0b3c77"

PREFS = {
    "media.cubeb.force_mock_context": True,
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "extensions.webextensions.uuids": json.dumps({EXTENSION_ID: EXTENSION_UUID}),
}


def firefox_binary() -> str:
    if not Path(FIREFOX).exists():
        _missing(f"Firefox ({FIREFOX}; apt-get install firefox-esr)")
    return FIREFOX


class Firefox:
    """One headless Firefox with a Marionette session; ``quit()`` ends the process and removes the profile."""

    def __init__(self, binary: str, log_path: Path, prefs: dict | None = None, startup_timeout: int = 120):
        try:
            from marionette_driver.marionette import Marionette
        except ImportError:
            _missing("the marionette-driver Python package (pip install marionette-driver mozrunner)")
        self.marionette = Marionette(bin=binary, port=0, headless=True, gecko_log=str(log_path),
                                     prefs={**PREFS, **(prefs or {})},
                                     startup_timeout=startup_timeout)
        try:
            self.marionette.start_session()
            self.marionette.timeout.script = 60
        except Exception:
            self.quit()
            raise
        self.first_tab = self.marionette.current_window_handle

    def quit(self) -> None:
        if self.marionette.cleanup_ran:
            return
        profile = self.marionette.instance and self.marionette.instance.profile
        self.marionette.cleanup()  # stops Firefox and removes its profile
        # ... and then mozrunner's instance makes a new, empty profile folder in its place (its profile setter
        # creates one for None): remove it now rather than leave it to interpreter exit, where it fails.
        spare = self.marionette.instance and self.marionette.instance.profile
        if spare is not None:
            spare.cleanup()
        for done in (profile, spare):
            if done is not None:
                done.restore = False  # nothing left for its __del__ to remove

    # ---- add-ons and tabs ------------------------------------------------------------------------------------
    def install_temporary_addon(self, path: Path) -> str:
        from marionette_driver.addons import Addons

        return Addons(self.marionette).install(str(path), temp=True)

    def click_toolbar_button(self, addon_id: str) -> None:
        """What Firefox runs for a click on an add-on's toolbar button, in the current window: the add-on gets
        activeTab on the selected tab and its popup opens. (The headless window has the button, but a
        Marionette click on it does not reach the widget's command handler.)"""
        with self.marionette.using_context("chrome"):
            self.marionette.execute_script(
                "const { ExtensionParent } = ChromeUtils.importESModule("
                "  'resource://gre/modules/ExtensionParent.sys.mjs');"
                "const extension = WebExtensionPolicy.getByID(arguments[0]).extension;"
                "ExtensionParent.apiManager.global.browserActionFor(extension).triggerAction(window);",
                script_args=[addon_id])

    def switch_in_background(self, handle: str) -> None:
        """Script another tab without selecting it (an open popup stays open, the selected tab stays so)."""
        self.marionette.switch_to_window(handle, focus=False)

    @staticmethod
    def extension_url(page: str) -> str:
        return f"moz-extension://{EXTENSION_UUID}/{page}"

    def open_tab(self, url: str) -> str:
        """Open ``url`` in a new tab, switch to it, and return its window handle."""
        handle = self.marionette.open(type="tab")["handle"]
        self.marionette.switch_to_window(handle)
        self.marionette.navigate(url)
        return handle

    def switch(self, handle: str) -> None:
        self.marionette.switch_to_window(handle)

    def close_tab(self, handle: str) -> None:
        self.switch(handle)
        self.marionette.close()
        self.switch(self.first_tab)

    # ---- script ----------------------------------------------------------------------------------------------
    def js(self, script: str, *args):
        """Run ``script`` (a function body; ``arguments`` holds args) in the current page's global."""
        return self.marionette.execute_script(script, script_args=list(args), sandbox=None)

    def js_promise(self, expression: str, *args):
        """The value of a promise-valued ``expression`` (``args`` as ``arguments``); a rejection raises."""
        script = (f"const done = arguments[arguments.length - 1];"
                  f"Promise.resolve().then(() => ({expression}))"
                  f".then((v) => done({{ok: v === undefined ? null : v}}), (e) => done({{error: String(e)}}));")
        reply = self.marionette.execute_async_script(script, script_args=list(args), sandbox=None)
        if "error" in reply:
            raise AssertionError(f"{expression}: {reply['error']}")
        return reply["ok"]

    def wait_for(self, script: str, *args, timeout: float = 30.0, what: str = ""):
        """Poll ``script`` (a function body) in the current page until it returns something truthy."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.js(script, *args)
            if last:
                return last
            time.sleep(0.25)
        raise AssertionError(f"timed out after {timeout} s waiting for {what or script}; last: {last!r}")

    # ---- elements --------------------------------------------------------------------------------------------
    def element(self, css: str):
        from marionette_driver.by import By

        return self.marionette.find_element(By.CSS_SELECTOR, css)

    def click(self, css: str) -> None:
        """A real click (trusted events, user activation), as a person's."""
        self.element(css).click()

    def text(self, css: str) -> str:
        return self.element(css).text

    def screenshot(self, path: Path) -> None:
        path.write_bytes(self.marionette.screenshot(format="binary", full=True))
