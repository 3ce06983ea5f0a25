"""Three servers behind HAProxy on 127.0.0.1 (scripts/cluster.sh): sessions spread by the servers' agents,
WAIT only when all are full, a killed server taken out of the rotation.

Heavy for 2 cores, so lean: tiny.en, one model call at a time per server, short clips, one cluster for
the module, stopped by ``cluster.sh down`` whatever happens.
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import threading

import numpy as np
import pytest

from tests.cluster.cluster import AGENT_INTER, FALL, INTER, Cluster
from tests.conftest import SHARED_AUDIO, shared_manifest
from tests.ws_session import load_audio, stream
from whisper_live.models import resolve_model
from whisper_live.wer import corpus_wer

NODES, MAX_CLIENTS = 3, 3
FLAGS = ("--max_clients", str(MAX_CLIENTS), "--omp_num_threads", "1", "--inference_workers", "1")
# 5-11 s each, nine speakers
CLIPS = [
    "en/librispeech/1089-134686-0000.flac",
    "en/librispeech/1221-135766-0002.flac",
    "en/librispeech/1995-1837-0001.flac",
    "en/librispeech/1272-128104-0000.flac",
    "en/librispeech/61-70968-0000.flac",
    "en/librispeech/2412-153948-0001.flac",
    "en/ljspeech/LJ001-0001.flac",
    "en/ljspeech/LJ001-0003.flac",
    "en/ljspeech/LJ001-0004.flac",
]
# A margin for a check that is due to run while 2 loaded cores are busy elsewhere (not a measured time)
SCHEDULING_SLACK = 2.0


@pytest.fixture(scope="module")
def recordings():
    rows = {r["file"]: r for r in shared_manifest()}
    if not all(f in rows and rows[f]["reference_transcript"] for f in CLIPS):
        pytest.skip("the shared recordings chosen for this test are missing from the manifest")
    silence = np.zeros(16000, np.float32)
    return [(SHARED_AUDIO / f, np.concatenate([silence[:8000], load_audio(SHARED_AUDIO / f), silence]),
             rows[f]["reference_transcript"]) for f in CLIPS]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(tmp_path_factory.mktemp("cluster"), NODES, *FLAGS)
    try:
        yield started
    finally:
        started.down()


def agent_says(state: str):
    """All nodes' agents have reported ``state`` (ready / drain) to HAProxy."""
    def check(servers):
        nodes = [r for name, r in servers.items() if name.startswith("node")]
        # HAProxy shows "DRAIN (agent)" for a server its agent drained
        return all(r["status"].split()[0] == ("DRAIN" if state == "drain" else "UP") for r in nodes)
    return check


def test_nine_speakers_fill_three_servers_three_each_and_a_tenth_gets_wait(cluster, recordings):
    from faster_whisper import WhisperModel

    cluster.wait_for(agent_says("ready"), timeout=10 * AGENT_INTER)
    everyone_ready = threading.Barrier(len(recordings) + 1, timeout=120)
    uids = [f"speaker{i}" for i in range(len(recordings))]
    with concurrent.futures.ThreadPoolExecutor(len(recordings)) as pool:
        futures = [pool.submit(stream, cluster.url, audio, language="en", uid=uid, on_ready=everyone_ready.wait)
                   for uid, (_, audio, _) in zip(uids, recordings)]
        everyone_ready.wait()
        # all nine are connected: every agent says its server is full, and the tenth hears WAIT
        cluster.wait_for(agent_says("drain"), timeout=3 * AGENT_INTER + SCHEDULING_SLACK)
        tenth = stream(cluster.url, recordings[0][1][:16000], language="en", uid="tenth")
        outcomes = [f.result() for f in futures]
    assert [r.kind for _, r in tenth.replies][:1] == ["wait"], tenth.replies

    # each server's own log says which speakers it served: three each, every speaker once
    served = {i: cluster.connected_uids(i) for i in range(1, NODES + 1)}
    assert sorted(len(v) for v in served.values()) == [MAX_CLIENTS] * NODES, served
    assert sorted(sum(served.values(), [])) == sorted(uids)

    # every transcript within the single-node bound (tests/integration/test_shared_recordings.py)
    references = [ref for _, _, ref in recordings]
    streamed = corpus_wer(references, [o.text for o in outcomes])
    model = WhisperModel(resolve_model("tiny.en"), compute_type="int8", cpu_threads=1)
    offline = corpus_wer(references, ["".join(s.text for s in model.transcribe(str(p), language="en")[0])
                                      for p, _, _ in recordings])
    print(f"through HAProxy: streamed WER {streamed:.3f}, offline WER {offline:.3f}")
    assert all(o.of("disconnect") or o.text for o in outcomes)
    assert streamed <= offline + 0.05, (streamed, offline, [o.text for o in outcomes])

    # once they left, the servers take sessions again
    cluster.wait_for(agent_says("ready"), timeout=3 * AGENT_INTER + SCHEDULING_SLACK)


def test_a_killed_server_is_marked_down_within_the_check_interval_and_gets_no_new_client(cluster, recordings):
    cluster.wait_for(agent_says("ready"), timeout=10 * AGENT_INTER)
    victim = cluster.nodes[0]
    sessions_before = int(cluster.servers()["node1"]["stot"])
    os.kill(victim.pid, signal.SIGKILL)
    # down after FALL failed checks INTER apart, the first of them at most INTER after the kill
    took = cluster.wait_for(lambda s: s["node1"]["status"].startswith("DOWN"),
                            timeout=(FALL + 1) * INTER + SCHEDULING_SLACK, every=0.05)
    print(f"node1 marked down {took:.2f} s after SIGKILL (checks every {INTER} s, down after {FALL})")

    clip = recordings[-1][1]  # about 5 s
    uids = [f"after-kill{i}" for i in range(3)]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        outcomes = list(pool.map(lambda uid: stream(cluster.url, clip, language="en", uid=uid), uids))
    assert all(o.replies and o.replies[0][1].kind == "ready" for o in outcomes), [o.replies[:1] for o in outcomes]
    servers = cluster.servers()
    assert int(servers["node1"]["stot"]) == sessions_before
    served = sum((cluster.connected_uids(i) for i in range(2, NODES + 1)), [])
    assert sorted(u for u in served if u.startswith("after-kill")) == uids
