"""The phone-call benchmark's parts without a server: the conversation split, the webhook, the figures."""

import json
import threading
import urllib.request

import numpy as np
import pytest

from whisper_live.bench.audio import Speech
from whisper_live.bench.telephony import (CallLog, Webhook, aggregate, call_figures, conversation, mulaw_8k,
                                         parse_args, run_call)


def test_utterances_alternate_between_the_tracks_at_their_own_time():
    audio = np.arange(1, 16001 * 3, dtype=np.float32)[:48000]
    tracks = conversation(Speech(audio, "a b c", "x", segments=[(0, 1, "a"), (1, 2, "b"), (2, 3, "c")]))
    inbound, outbound = tracks["inbound"], tracks["outbound"]
    assert np.array_equal(inbound + outbound, audio)
    assert outbound[:16000].sum() == 0 and inbound[16000:32000].sum() == 0 and outbound[32000:].sum() == 0
    assert len(mulaw_8k(np.zeros(16000, np.float32))) in range(7990, 8011)


def test_the_webhook_fails_first_then_records_by_call():
    hook = Webhook(fail_first=2)
    try:
        codes = []
        for i in range(3):
            request = urllib.request.Request(hook.url("CA1"), data=f"SequenceId={i + 1}".encode(), method="POST")
            try:
                codes.append(urllib.request.urlopen(request, timeout=5).status)
            except urllib.error.HTTPError as exc:
                codes.append(exc.code)
        assert codes == [500, 500, 204]
        assert [f["SequenceId"] for _, f in hook.of("CA1")] == ["3"]
    finally:
        hook.close()


def content(seq, track, text, start, end, final="true"):
    return {"SequenceId": str(seq), "TranscriptionEvent": "transcription-content", "Track": track, "Final": final,
            "TranscriptionData": json.dumps({"transcript": text}), "SegmentStart": str(start), "SegmentEnd": str(end)}


def test_figures_find_order_gaps_latency_and_the_interleaved_transcript():
    log = CallLog("CA1", sent_at=[10.0, 11.0, 12.0], sent_end=[1.0, 2.0, 3.0])
    callbacks = [(9.0, {"SequenceId": "1", "TranscriptionEvent": "transcription-started"}),
                 (11.5, content(2, "inbound_track", "hello there", 0.1, 0.9)),
                 (12.5, content(3, "outbound_track", "general kenobi", 1.2, 2.0)),
                 (13.0, {"SequenceId": "4", "TranscriptionEvent": "transcription-stopped"})]
    good = call_figures(log, callbacks, "hello there general kenobi")
    assert good["all_delivered"] and good["in_order"] and good["wer"] == 0.0
    assert good["latencies"] == [1.5, 1.5]
    assert good["finals_by_track"] == {"inbound_track": 1, "outbound_track": 1}
    swapped = call_figures(log, [callbacks[0], callbacks[2], callbacks[1], callbacks[3]], None)
    assert not swapped["in_order"] and swapped["all_delivered"] and swapped["text"] == "hello there general kenobi"
    gap = call_figures(log, [callbacks[0], callbacks[1], callbacks[3]], None)
    assert not gap["all_delivered"]
    figures = aggregate([good, swapped])
    assert figures["all_delivered"] and not figures["in_order"] and figures["final_latency_s"]["n"] == 4


def test_the_calls_go_to_the_port_of_the_server_the_bench_spawns():
    server = "python run_server.py --host 127.0.0.1 --port 9390 --telephony_callback_allow 127.0.0.1"
    assert parse_args(["--spawn-server", server]).port == 9390
    assert parse_args(["--spawn-server", server, "--port", "9390"]).port == 9390
    assert parse_args([]).port == 9090
    with pytest.raises(SystemExit):
        parse_args(["--spawn-server", server, "--port", "9391"])


def test_a_call_the_server_refuses_after_its_start_has_the_servers_close_code():
    from websockets.sync.server import serve

    def refuse(websocket):  # as a full server: read connected and start, then 1013
        websocket.recv(timeout=5)
        websocket.recv(timeout=5)
        websocket.close(1013, "server full")

    with serve(refuse, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            log = run_call(f"ws://127.0.0.1:{server.socket.getsockname()[1]}/twilio", "CA1",
                           {"inbound": b"\xff" * 160 * 200}, "http://127.0.0.1:1/calls/CA1", close_timeout=5)
        finally:
            server.shutdown()
            thread.join(5)
    assert log.error is None and log.close_code == 1013
