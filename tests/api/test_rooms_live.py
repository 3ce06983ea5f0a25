"""Rooms on the real server (tiny.en): two named speakers publish into one room with the Python client; a
reader follows it over SSE from its start; the room's transcript holds every completed segment of each, in
time order, with their names, and the reader got each of them."""

import json
import threading
import time

import httpx
import numpy as np

from whisper_live.client import TranscriptionClient

ANN = "The museum opens at ten and closes early on Sundays, so plan your visit carefully."
BOB = "Fresh bread and green apples are sold at the market every Thursday afternoon."


def test_two_publishers_one_room_and_a_reader(api_server, espeak):
    base = f"http://{api_server.host}:{api_server.rest_port}"
    outcomes, notices = {}, []

    def publish(name, text, delay):
        time.sleep(delay)
        client = TranscriptionClient(api_server.host, api_server.port, lang="en", log_transcription=False,
                                     show_progress=False, speed=1.0, room="meeting", speaker_name=name,
                                     room_public=True, notice=notices.append)
        outcomes[name] = client(str(espeak(text)))

    speakers = [threading.Thread(target=publish, args=("Ann", ANN, 0.0)),
                threading.Thread(target=publish, args=("Bob", BOB, 2.0))]
    for thread in speakers:
        thread.start()
    events = []

    def transcript():
        return httpx.get(f"{base}/v1/rooms/meeting/transcript?format=json").json()["lines"]

    deadline = time.monotonic() + 30
    while True:  # the room exists once Ann's session started
        with httpx.stream("GET", f"{base}/v1/rooms/meeting/events", timeout=120) as response:
            if response.status_code == 200:
                def read():
                    try:
                        for line in response.iter_lines():
                            if line.startswith("data: "):
                                events.append(json.loads(line[6:]))
                    except (httpx.HTTPError, RuntimeError):  # closed under it at the end of the test
                        pass

                reader = threading.Thread(target=read, daemon=True)
                reader.start()
                for thread in speakers:
                    thread.join(120)
                wanted = {line["seq"] for line in transcript()}
                settle = time.monotonic() + 10  # the last lines may still be on their way to the reader
                while not wanted <= {e["seq"] for e in list(events) if e["type"] == "completed"} \
                        and time.monotonic() < settle:
                    time.sleep(0.1)
                break
        assert time.monotonic() < deadline, "the room never appeared"
        time.sleep(0.2)
    assert any("captions at http://" in notice and "/captions/meeting" in notice for notice in notices)
    lines = transcript()
    for name in ("Ann", "Bob"):
        own = [s.text.strip() for s in outcomes[name].completed if s.text.strip()]
        assert own and [line["text"] for line in lines if line["speaker"] == name] == own
    starts = [line["start"] for line in lines]
    assert starts == sorted(starts)
    assert {line["start"] for line in lines if line["speaker"] == "Bob"} and \
        np.mean([line["start"] for line in lines if line["speaker"] == "Bob"]) > 1.5  # Bob began 2 s later
    got = {e["seq"] for e in events if e["type"] == "completed"}
    assert got == {line["seq"] for line in lines}
