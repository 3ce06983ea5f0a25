"""Whole files as scheduler work (whisper_live/file_work.py) with a fake model: they go after every live
window, take at most workers - 1 workers, step one 30 s window at a time, and free their work when cancelled."""

import threading
import time

import numpy as np

from tests.fakes import FakeClient, ScriptedTranscriber
from whisper_live.file_work import FILE, FileJob
from whisper_live.scheduler import Scheduler
from whisper_live.streaming import FINAL, PARTIAL
from whisper_live.transcriber.files import FileOptions, FileSegment, FileTranscript


class FileTranscriber(ScriptedTranscriber):
    """Live windows as ScriptedTranscriber; a file is ``windows`` windows of ``window_seconds`` model time each,
    one segment per window, decoded lazily (as faster-whisper's generator)."""

    def __init__(self, windows=3, window_seconds=0.0, live_seconds=0.0, **kw):
        super().__init__(**kw)
        self.windows, self.window_seconds, self.live_seconds = windows, window_seconds, live_seconds
        self.decoded = 0  # file windows decoded so far
        self.running = 0
        self.most_at_once = 0
        self._count = threading.Lock()

    def _busy(self, seconds):
        with self._count:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(seconds)
        with self._count:
            self.running -= 1

    def transcribe_batch(self, requests):
        self._busy(self.live_seconds)
        return super().transcribe_batch(requests)

    def transcribe_file(self, audio, options):
        def segments():
            for i in range(self.windows):
                self._busy(self.window_seconds)
                self.decoded += 1
                yield FileSegment(id=i, seek=i * 3000, start=30.0 * i, end=30.0 * i + 2, text=f" window {i}")
        return FileTranscript(language="en", language_prob=1.0, duration=30.0 * self.windows, segments=segments())


def file_job(progress=None, seconds=90.0):
    got = progress if progress is not None else []
    return FileJob(np.zeros(int(seconds * 16000), np.float32), FileOptions(),
                   lambda p, e: got.append((p, e)), name="f")


def drain(scheduler):
    """Run what select() gives, synchronously, until nothing is left; the order of the clients served."""
    order = []
    while batch := scheduler.select():
        order += [getattr(c, "name", c) for c, _, _ in batch]
        scheduler.run_batch(batch)
    return order


def test_live_windows_go_before_a_file_and_the_file_steps_one_window_at_a_time():
    transcriber = FileTranscriber(windows=2)
    scheduler = Scheduler(transcriber, workers=2)
    progress = []
    job = file_job(progress)
    live = [FakeClient("partial", PARTIAL, since=5.0), FakeClient("final", FINAL, since=9.0)]
    scheduler.notify(job)  # the file asked first
    for c in live:
        scheduler.notify(c)
    order = drain(scheduler)
    assert order[:2] == ["final", "partial"] and set(order[2:]) == {"f"}
    # start (language), window 0, window 1, end
    assert [bool(p.transcript) for p, _ in progress] == [True, False, False, False]
    assert [p.segment.text for p, _ in progress[1:3]] == [" window 0", " window 1"]
    assert progress[-1][0].done and job.finished and transcriber.decoded == 2


def test_a_file_never_takes_the_last_free_worker():
    scheduler = Scheduler(FileTranscriber(), workers=2)
    first, second = file_job(), file_job()
    scheduler.notify(first)
    scheduler.notify(second)
    batch = scheduler.select()
    assert [c for c, _, _ in batch] == [first] and batch[0][1].kind == FILE
    assert scheduler.select() == [], "the other worker stays free for live windows"
    live = FakeClient("live", FINAL, since=1.0)
    scheduler.notify(live)
    assert [c for c, _, _ in scheduler.select()] == [live]
    scheduler.run_batch(batch)
    assert [c for c, _, _ in scheduler.select()] in ([first], [second])


def test_with_one_worker_a_live_final_waits_for_one_file_window_at_most():
    """The scheduler's priority on real threads: a live speaker's finals, while a file of many windows runs on
    the only worker, wait for the file window in progress and never for a second one."""
    window, live_time = 0.2, 0.02
    transcriber = FileTranscriber(windows=12, window_seconds=window, live_seconds=live_time)
    scheduler = Scheduler(transcriber, workers=1)
    scheduler.start()
    done = threading.Event()
    job = FileJob(np.zeros(16000, np.float32), FileOptions(),
                  lambda p, e: done.set() if p is not None and p.done else None, name="f")
    waits = []

    class Live(FakeClient):
        def deliver(self, window, result, error):
            waits.append(time.monotonic() - self.since)
            super().deliver(window, result, error)

    try:
        scheduler.notify(job)
        speaker = Live("live")
        for _ in range(6):
            time.sleep(0.25)
            speaker.kind, speaker.since = FINAL, time.monotonic()
            scheduler.notify(speaker)
        assert done.wait(30), "the file finishes in the capacity the speaker leaves"
    finally:
        scheduler.stop()
    assert len(waits) == 6
    # one file window in progress, then the final itself (never two file windows: 2 * window)
    assert max(waits) < 2 * window, waits
    assert transcriber.decoded == 12


def test_two_files_never_run_at_once_on_two_workers_and_both_finish():
    transcriber = FileTranscriber(windows=3, window_seconds=0.05)
    scheduler = Scheduler(transcriber, workers=2)
    scheduler.start()
    finished = []
    jobs = [FileJob(np.zeros(16000, np.float32), FileOptions(),
                    lambda p, e, n=n: finished.append(n) if p is not None and p.done else None, name=str(n))
            for n in range(2)]
    try:
        for job in jobs:
            scheduler.notify(job)
        deadline = time.monotonic() + 20
        while len(finished) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.stop()
    assert sorted(finished) == [0, 1]
    assert transcriber.most_at_once == 1


def test_a_cancelled_file_takes_no_more_steps_and_closes_its_transcript():
    transcriber = FileTranscriber(windows=5)
    scheduler = Scheduler(transcriber, workers=1)
    progress = []
    job = file_job(progress)
    scheduler.notify(job)
    scheduler.run_batch(scheduler.select())  # started
    scheduler.run_batch(scheduler.select())  # window 0
    segments = job._transcript.segments
    job.cancel()
    assert job.pending() is None and job.take_window() is None
    assert scheduler.select() == []
    assert transcriber.decoded == 1
    assert segments.gi_frame is None, "the generator is closed"


def test_a_step_that_fails_ends_the_job_with_the_error():
    class Broken(FileTranscriber):
        def transcribe_file(self, audio, options):
            raise RuntimeError("model broke")

    scheduler = Scheduler(Broken(), workers=1)
    progress = []
    job = file_job(progress)
    scheduler.notify(job)
    drain(scheduler)
    assert job.finished and len(progress) == 1
    assert progress[0][0] is None and "model broke" in str(progress[0][1])


def test_the_thread_per_client_mode_runs_a_file_too():
    from whisper_live.locked_runner import LockedRunner

    runner = LockedRunner(FileTranscriber(windows=2))
    done = threading.Event()
    progress = []
    job = FileJob(np.zeros(16000, np.float32), FileOptions(),
                  lambda p, e: (progress.append(p), p is not None and p.done and done.set()), name="f")
    runner.add(job)
    try:
        assert done.wait(10)
    finally:
        runner.stop()
    assert [p.segment.text for p in progress if p.segment] == [" window 0", " window 1"]


def test_no_file_step_starts_while_finals_are_served_late():
    clock = [100.0]
    scheduler = Scheduler(FileTranscriber(), workers=2, clock=lambda: clock[0])
    scheduler.meter.record(0.5, 0.5, [object()], [2.0, 2.5, 3.0])  # finals 2-3 s late
    live = FakeClient("live", PARTIAL)
    scheduler.notify(live)
    scheduler.run_batch(scheduler.select())  # live clients are at work
    job = file_job()
    scheduler.notify(job)
    assert scheduler.select() == []
    clock[0] += 31  # those finals leave the meter's horizon
    scheduler.notify(job)
    assert [c for c, _, _ in scheduler.select()] == [job]


def test_late_finals_of_the_past_do_not_hold_a_file_once_live_clients_are_quiet():
    clock = [100.0]
    scheduler = Scheduler(FileTranscriber(), workers=2, clock=lambda: clock[0])
    scheduler.meter.record(0.5, 0.5, [object()], [2.0, 2.5, 3.0])
    live = FakeClient("live", PARTIAL)
    scheduler.notify(live)
    scheduler.run_batch(scheduler.select())
    job = file_job()
    scheduler.notify(job)
    assert scheduler.select() == []
    clock[0] += 3  # no live window for 3 s; the late finals are still in the meter
    assert not scheduler.meter.has_room()
    assert [c for c, _, _ in scheduler.select()] == [job]


def test_a_file_that_waited_for_room_starts_once_there_is_room_without_any_notify():
    clock = [100.0]
    transcriber = FileTranscriber(windows=1)
    scheduler = Scheduler(transcriber, workers=2, clock=lambda: clock[0])
    scheduler.meter.record(0.5, 0.5, [object()], [2.0, 2.5, 3.0])
    live = FakeClient("live", PARTIAL)
    scheduler.notify(live)
    scheduler.run_batch(scheduler.select())
    done = threading.Event()
    job = FileJob(np.zeros(16000, np.float32), FileOptions(),
                  lambda p, e: p is not None and p.done and done.set(), name="f")
    scheduler.start()
    try:
        scheduler.notify(job)
        time.sleep(0.3)
        assert transcriber.decoded == 0
        clock[0] += 1.5  # (live clients still at work, finals still late)
        time.sleep(0.3)
        assert transcriber.decoded == 0
        clock[0] += 31  # the late finals leave the meter's horizon; nobody notifies the scheduler
        assert done.wait(10)
    finally:
        scheduler.stop()
