"""The OpenAI-compatible API through HAProxy (cluster.sh with --enable_rest): the official openai client
transcribes a file on one of two servers, balanced as the sessions are."""

from openai import OpenAI

from tests.cluster.cluster import Cluster
from tests.server_process import free_port
from whisper_live.wer import wer

SENTENCE = "The quick brown fox jumps over the lazy dog."


def test_a_file_is_transcribed_through_haproxy_by_one_of_the_servers(espeak, tmp_path):
    rest_port = free_port()
    cluster = Cluster(tmp_path / "cluster", 2, "--max_clients", "2", "--inference_workers", "1",
                      "--enable_rest", "--rest_port", str(rest_port))
    try:
        # each API server is checked on its own server's health and agent: both take requests
        cluster.wait_for(lambda s: all(s[f"rest{i}"]["status"] == "UP" for i in (1, 2)), timeout=10)
        client = OpenAI(base_url=f"http://127.0.0.1:{rest_port}/v1", api_key="unused", max_retries=0, timeout=120)
        with open(espeak(SENTENCE), "rb") as f:
            result = client.audio.transcriptions.create(model="whisper-1", file=f)
        assert wer(SENTENCE, result.text) <= 0.25, result.text
        servers = cluster.servers()
        assert set(servers) == {f"{kind}{i}" for kind in ("node", "wait", "rest") for i in (1, 2)}
        assert sorted(int(servers[f"rest{i}"]["stot"]) for i in (1, 2)) == [0, 1]
        # not marked down after the work; the agent may drain the busy one until its measured load falls
        assert all(servers[f"rest{i}"]["status"].split()[0] in ("UP", "DRAIN") for i in (1, 2)), servers
    finally:
        cluster.down()
