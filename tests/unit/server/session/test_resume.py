"""The register of resumable sessions (whisper_live/server/session/resume.py): which session a resume finds
(uid and token)."""

from whisper_live.server.session.resume import ResumeRegistry


class FakeSession:
    def __init__(self, uid, token):
        self.uid = uid
        self.resume_token = token


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


def test_no_window_no_resume():
    assert not ResumeRegistry(0).enabled
    assert ResumeRegistry(30).enabled


def test_holds_says_whether_a_session_of_a_uid_is_here():
    registry = ResumeRegistry(30)
    session = FakeSession("u1", "t")
    assert not registry.holds("u1")
    registry.add(session)
    assert registry.holds("u1") and not registry.holds("u2")
    registry.remove(session)
    assert not registry.holds("u1")
