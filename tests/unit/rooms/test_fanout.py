import threading
import time

from tests.unit.waits import wait_until
from whisper_live.rooms.fanout import FanOut


def test_a_job_posted_for_later_runs_once_due_and_posts_run_in_order():
    fanout = FanOut(lambda: None, tick=5.0)  # (the tick is far away: the timed job wakes the thread)
    fanout.start()
    try:
        ran = []
        fanout.post_at(time.monotonic() + 0.15, lambda: ran.append(("later", time.monotonic())))
        posted = time.monotonic()
        fanout.post(ran.append, ("first", posted))
        fanout.post(ran.append, ("second", posted))
        wait_until(lambda: len(ran) == 3)
        assert [name for name, _ in ran] == ["first", "second", "later"]
        assert ran[2][1] - posted >= 0.14
    finally:
        fanout.stop()


def test_what_is_asked_for_the_end_of_a_burst_runs_once_after_all_of_it():
    fanout = FanOut(lambda: None, tick=5.0)
    fanout.start()
    try:
        log = []
        told = lambda: log.append("told")  # noqa: E731

        def job(i):
            log.append(i)
            fanout.at_burst_end(told)

        gate = threading.Event()
        fanout.post(gate.wait)  # (the three jobs below are one burst)
        for i in range(3):
            fanout.post(job, i)
        gate.set()
        wait_until(lambda: "told" in log)
        time.sleep(0.05)
        assert log == [0, 1, 2, "told"]
        fanout.at_burst_end(told)  # elsewhere than the fan-out thread: at once
        assert log[-1] == "told" and len(log) == 5
    finally:
        fanout.stop()
