"""The form fields of each Twilio Real-Time Transcription callback."""

import json

from whisper_live.telephony.transcription_callbacks import TranscriptionCallbacks, timestamp, transcript_of


def test_fields_match_twilios_callbacks_with_increasing_sequence_ids():
    calls = TranscriptionCallbacks("CA1", "AC1", "en-US", transcription_sid="GT1", clock=lambda: "T")
    started = calls.started("inbound_track", partial_results=True)
    content = calls.content("inbound", "Hello there.", 0.91234, final=True)
    partial = calls.content("outbound", "hel", 0.5, final=False, stability=0.4)
    stopped, error = calls.stopped(), calls.error("model failed", "32655")
    assert [f["SequenceId"] for f in (started, content, partial, stopped, error)] == ["1", "2", "3", "4", "5"]
    assert [f["TranscriptionEvent"] for f in (started, content, stopped, error)] == [
        "transcription-started", "transcription-content", "transcription-stopped", "transcription-error"]
    assert {k: content[k] for k in ("AccountSid", "CallSid", "TranscriptionSid", "Timestamp", "Track", "Final",
                                    "LanguageCode")} == {
        "AccountSid": "AC1", "CallSid": "CA1", "TranscriptionSid": "GT1", "Timestamp": "T", "Track": "inbound_track",
        "Final": "true", "LanguageCode": "en-US"}
    assert json.loads(content["TranscriptionData"]) == {"transcript": "Hello there.", "confidence": 0.9123}
    assert (partial["Final"], partial["Track"], partial["Stability"]) == ("false", "outbound_track", "0.40")
    assert started["PartialResults"] == "true"
    assert (error["TranscriptionError"], error["TranscriptionErrorCode"]) == ("model failed", "32655")
    assert transcript_of(content) == "Hello there." and transcript_of(stopped) == ""
    assert all(isinstance(v, str) for f in (started, content, partial, stopped, error) for v in f.values())


def test_timestamps_are_iso8601_utc():
    stamp = timestamp()
    assert stamp.endswith("Z") and stamp[10] == "T" and len(stamp) == len("2024-06-13T18:53:09.214417Z")


def test_content_carries_its_audio_span_when_given():
    from whisper_live.telephony.transcription_callbacks import TranscriptionCallbacks

    fields = TranscriptionCallbacks("CA1").content("inbound", "hi", 0.5, True, span=(1.25, 2.5))
    assert (fields["SegmentStart"], fields["SegmentEnd"]) == ("1.250", "2.500")
    assert "SegmentStart" not in TranscriptionCallbacks("CA1").content("inbound", "hi", 0.5, True)
