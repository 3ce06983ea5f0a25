"""The audio a client keeps to send again on a resume: PCM cut anywhere, compressed packets sent whole."""

from whisper_live.client.reconnect import AudioHistory


def test_pcm_frames_are_cut_at_the_servers_position():
    history = AudioHistory(1.0, itemsize=2, sample_rate=16000)
    history.add(bytes(range(20)))  # 10 samples
    history.add(bytes(20))
    assert b"".join(history.since(4)) == bytes(range(8, 20)) + bytes(20)


def test_packets_are_sent_whole_from_the_one_the_server_has_not_got():
    history = AudioHistory(1.0, itemsize=None, sample_rate=16000)
    for i in range(5):
        history.add(bytes([i]) * 7, samples=960)  # 60 ms packets
    assert list(history.since(1920)) == [bytes([2]) * 7, bytes([3]) * 7, bytes([4]) * 7]
    assert list(history.since(2000))[0] == bytes([2]) * 7  # inside a packet: that packet again


def test_only_the_last_seconds_are_kept():
    history = AudioHistory(0.12, itemsize=None, sample_rate=16000)  # two 60 ms packets
    for i in range(5):
        history.add(bytes([i]), samples=960)
    assert history.start == 3 * 960 and history.end == 5 * 960
    assert list(history.since(0)) == [bytes([3]), bytes([4])]
