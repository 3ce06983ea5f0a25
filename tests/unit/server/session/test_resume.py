"""The register of resumable sessions (whisper_live/server/session/resume.py): which session a resume finds
(uid and token), and when a detached one expires."""

import threading
import time

from whisper_live.server.session.resume import ResumeRegistry


class FakeSession:
    def __init__(self, uid, token):
        self.uid = uid
        self.resume_token = token
        self.detached_since = None
        self.expired = threading.Event()

    def expire(self, since):
        if self.detached_since is None or self.detached_since != since:
            return False
        self.expired.set()
        return True


def test_a_resume_finds_only_the_session_with_that_uid_and_token():
    registry = ResumeRegistry(30)
    mine, other = FakeSession("u1", "token-one"), FakeSession("u2", "token-two")
    same_uid = FakeSession("u1", "token-three")  # another client that happens to use the same uid
    for s in (mine, other, same_uid):
        registry.add(s)
    assert registry.find("u1", "token-one") == (mine, "")
    assert registry.find("u1", "token-three") == (same_uid, "")
    for uid, token in (("u1", "token-two"), ("u2", "token-one"), ("u3", "token-one"), ("u1", None),
                       ("u1", "token-on"), ("u1", "")):
        found, why = registry.find(uid, token)
        assert found is None and uid in why
    registry.remove(mine)
    assert registry.find("u1", "token-one")[0] is None
    assert registry.find("u1", "token-three")[0] is same_uid


def test_a_detached_session_expires_after_the_window_unless_resumed():
    registry = ResumeRegistry(0.2)
    left, back = FakeSession("a", "t1"), FakeSession("b", "t2")
    for s in (left, back):
        s.detached_since = time.monotonic()
        registry.add(s)
        registry.detached(s)
    back.detached_since = None  # resumed within the window
    assert left.expired.wait(5)
    time.sleep(0.3)
    assert not back.expired.is_set()


def test_no_window_no_resume():
    assert not ResumeRegistry(0).enabled
    assert ResumeRegistry(30).enabled
