"""Media released per track in chunk order; gaps waited for, then skipped; late and duplicate chunks dropped."""

from whisper_live.telephony.media_stream import Media
from whisper_live.telephony.reorder import ReorderBuffer


def media(chunk, track="inbound"):
    return Media("MZ", track, chunk, 20 * (chunk - 1), bytes([chunk % 256]) * 160)


def chunks(released):
    return [(m.track, m.chunk) for m in released]


def test_in_order_media_passes_straight_through():
    buffer = ReorderBuffer()
    assert [chunks(buffer.push(media(i))) for i in (1, 2, 3)] == [[("inbound", 1)], [("inbound", 2)], [("inbound", 3)]]
    assert (buffer.reordered, buffer.lost, buffer.late) == (0, 0, 0)


def test_out_of_order_media_is_held_until_the_gap_fills_per_track():
    buffer = ReorderBuffer()
    assert buffer.push(media(2)) == []
    assert chunks(buffer.push(media(1, "outbound"))) == [("outbound", 1)]  # tracks do not wait for each other
    assert buffer.push(media(3)) == []
    assert chunks(buffer.push(media(1))) == [("inbound", 1), ("inbound", 2), ("inbound", 3)]
    assert buffer.reordered == 2


def test_a_lost_chunk_is_skipped_once_too_many_wait_behind_it():
    buffer = ReorderBuffer(max_held=3)
    assert chunks(buffer.push(media(1))) == [("inbound", 1)]
    released = [c for i in (3, 4, 5, 6) for c in chunks(buffer.push(media(i)))]
    assert released == [("inbound", 3), ("inbound", 4), ("inbound", 5), ("inbound", 6)]
    assert buffer.lost == 1
    assert buffer.push(media(2)) == [] and buffer.late == 1  # too late: already skipped
    assert buffer.push(media(6)) == [] and buffer.late == 2  # a duplicate


def test_flush_releases_what_is_held_in_order():
    buffer = ReorderBuffer()
    for i in (5, 3, 4):
        assert buffer.push(media(i)) == []
    assert chunks(buffer.flush()) == [("inbound", 3), ("inbound", 4), ("inbound", 5)]
    assert buffer.lost == 2 and buffer.flush() == []
