"""Which threads a test started and left running.

Counting threads is not enough: threads an earlier test left winding down may end during this one and hide a
thread this one leaked. A snapshot of the thread objects names exactly the threads started since.
"""

import threading


class NewThreads:
    """The threads started after this snapshot was taken."""

    def __init__(self):
        self.before = set(threading.enumerate())

    def alive(self) -> list[threading.Thread]:
        """Threads started since the snapshot that are still running."""
        return [thread for thread in threading.enumerate() if thread not in self.before]

    def count(self) -> int:
        return len(self.alive())
