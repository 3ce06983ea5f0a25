"""POST /v1/audio/transcriptions and /translations, GET /v1/models, with the official openai client against
the real server (tiny.en) on 127.0.0.1; every bad input gets OpenAI's error shape and a 4xx."""

from __future__ import annotations

import re
import socket
import time

import httpx
import openai
import pytest

from tests.api.conftest import MAX_UPLOAD_MB
from tests.api.encoded_speech import LONG_TEXT, encoded
from whisper_live.api.uploads import FIELDS_ROOM
from whisper_live.wer import wer

SENTENCE = ("Please call Stella and ask her to bring these things with her from the store. "
            "We will meet at the train station at nine o'clock tomorrow morning.")


@pytest.fixture(scope="module")
def speech(espeak):
    return espeak(SENTENCE)


def transcribe(client, path, **options):
    with open(path, "rb") as f:
        return client.audio.transcriptions.create(model="whisper-1", file=f, **options)


def test_json_gives_the_text(client, speech):
    text = transcribe(client, speech).text
    assert wer(SENTENCE, text) <= 0.3, text


@pytest.mark.parametrize("extension", ["flac", "mp3", "ogg", "m4a", "webm", "mp4"])
def test_any_format_pyav_decodes(client, speech, extension):
    assert wer(SENTENCE, transcribe(client, encoded(speech, extension)).text) <= 0.3


def test_text_format_is_the_same_text(client, speech):
    assert transcribe(client, speech, response_format="text").strip() == transcribe(client, speech).text


def _cues(body: str, separator: str) -> list[tuple[float, float, str]]:
    stamp = rf"(\d\d):(\d\d):(\d\d){separator}(\d\d\d)"
    cues = []
    for block in body.strip().split("\n\n"):
        lines = block.strip().splitlines()
        at = next(i for i, line in enumerate(lines) if "-->" in line)
        m = re.fullmatch(f"{stamp} --> {stamp}", lines[at])
        assert m, lines[at]
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, m.groups())
        cues.append((h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000,
                     " ".join(lines[at + 1:])))
    return cues


def test_srt_parses(client, speech):
    body = transcribe(client, speech, response_format="srt")
    cues = _cues(body, ",")
    assert [block.split("\n")[0] for block in body.strip().split("\n\n")] == [str(i + 1) for i in range(len(cues))]
    assert all(start <= end for start, end, _ in cues) and all(text for _, _, text in cues)
    assert wer(SENTENCE, " ".join(text for _, _, text in cues)) <= 0.3


def test_vtt_parses(client, speech):
    body = transcribe(client, speech, response_format="vtt")
    assert body.startswith("WEBVTT\n\n")
    cues = _cues(body[len("WEBVTT"):], r"\.")
    assert cues and all(start <= end for start, end, _ in cues)
    assert wer(SENTENCE, " ".join(text for _, _, text in cues)) <= 0.3


def test_verbose_json_words_lie_inside_their_segments(client, speech):
    result = transcribe(client, speech, response_format="verbose_json",
                        timestamp_granularities=["word", "segment"])
    assert result.language == "en" and result.duration > 4
    assert result.segments and result.words
    assert "".join(w.word for w in result.words).replace(" ", "") == result.text.replace(" ", "")
    for word in result.words:
        assert word.start <= word.end
        assert any(s.start - 0.01 <= word.start and word.end <= s.end + 0.01 for s in result.segments), word
    assert wer(SENTENCE, result.text) <= 0.3


def test_streamed_deltas_join_to_the_done_text(client, speech):
    with open(speech, "rb") as f:
        stream = client.audio.transcriptions.create(model="whisper-1", file=f, stream=True)
        events = list(stream)
    deltas = [e.delta for e in events if e.type == "transcript.text.delta"]
    done = [e for e in events if e.type == "transcript.text.done"]
    assert deltas and len(done) == 1 and events[-1].type == "transcript.text.done"
    assert "".join(deltas) == done[0].text
    assert wer(SENTENCE, done[0].text) <= 0.3


def test_models_lists_the_served_model(client):
    ids = [m.id for m in client.models.list()]
    assert "tiny.en" in ids and "whisper-1" in ids
    assert client.models.retrieve("tiny.en").id == "tiny.en"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-4o-transcribe")
    assert missing.value.body["code"] == "model_not_found"


# --- bad input -------------------------------------------------------------------------------------------------


def assert_refused(exc_info, status: int, param=None):
    error = exc_info.value
    assert error.status_code == status
    body = error.response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"]
    assert "Traceback" not in error.response.text
    if param is not None:
        assert body["error"]["param"] == param


def test_no_file(api_server):
    response = httpx.post(f"{api_server.base_url}/audio/transcriptions", data={"model": "whisper-1"},
                          files={"other": ("x.txt", b"hello")})
    assert response.status_code == 400 and response.json()["error"]["param"] == "file"
    response = httpx.post(f"{api_server.base_url}/audio/transcriptions", json={"model": "whisper-1"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_content_type"


@pytest.mark.parametrize("content", [b"", b"this is not audio at all" * 100], ids=["empty", "undecodable"])
def test_empty_or_undecodable_file(client, content):
    with pytest.raises(openai.BadRequestError) as refused:
        client.audio.transcriptions.create(model="whisper-1", file=("speech.wav", content))
    assert_refused(refused, 400, "file")


def test_file_over_the_limit_is_refused_while_it_streams_in(client, api_server):
    too_big = b"\0" * (MAX_UPLOAD_MB * 1024 * 1024 * 3)
    with pytest.raises(openai.APIStatusError) as refused:
        client.audio.transcriptions.create(model="whisper-1", file=("big.wav", too_big))
    assert_refused(refused, 413, "file")

    # The answer comes while the body is still incomplete: announced too large (nothing of it sent), or
    # counted past the limit (chunked, no Content-Length; the client sends no more and waits).
    head = (b"POST /v1/audio/transcriptions HTTP/1.1\r\nHost: test\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n")
    part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
    announced = head + f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode() + part
    payload = b"\0" * (MAX_UPLOAD_MB * 1024 * 1024 + FIELDS_ROOM + 64 * 1024)  # past the file and the fields' room
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n" % (len(part + payload), part + payload)
    for request in (announced, chunked):
        with socket.create_connection((api_server.host, api_server.rest_port), timeout=60) as sock:
            sock.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


@pytest.mark.parametrize("options, param", [
    ({"model": "gpt-4o-transcribe"}, "model"), ({"response_format": "docx"}, "response_format"),
    ({"language": "xx"}, "language"), ({"temperature": 3}, "temperature")])
def test_unknown_model_format_language_or_temperature(client, speech, options, param):
    options = {"model": "whisper-1", **options}
    with pytest.raises(openai.BadRequestError) as refused, open(speech, "rb") as f:
        client.audio.transcriptions.create(file=f, **options)
    assert_refused(refused, 400, param)


def test_translation_with_an_english_only_model_names_a_multilingual_one(client, speech):
    with pytest.raises(openai.BadRequestError) as refused, open(speech, "rb") as f:
        client.audio.translations.create(model="whisper-1", file=f)
    assert_refused(refused, 400, "model")
    assert "base" in refused.value.response.json()["error"]["message"]


def full_log(server) -> str:
    """The server's whole log so far."""
    server.log()  # (flushes it)
    return server.log_path.read_text()


def test_a_client_that_leaves_mid_stream_frees_its_work(api_server, client, espeak):
    long_speech = encoded(espeak(LONG_TEXT), "ogg")  # over 30 s: more than one window
    with httpx.Client(timeout=300) as http, open(long_speech, "rb") as f:
        with http.stream("POST", f"{api_server.base_url}/audio/transcriptions",
                         files={"file": ("long.wav", f)}, data={"stream": "true"}) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if "transcript.text.delta" in line:
                    break  # leave after the first window's text
    deadline = time.monotonic() + 60
    while "its client left; its work is dropped" not in full_log(api_server) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "its client left; its work is dropped" in full_log(api_server)
    # ... and the server goes on serving
    assert transcribe(client, espeak(SENTENCE)).text


def test_a_client_that_leaves_while_waiting_for_its_answer_frees_its_work(api_server, espeak):
    # about 100 s of speech (24 kbit/s Opus: within the test server's 1 MB), so that its work outlasts the
    # half second the server takes to see the client gone, however loaded the machine
    data = open(encoded(espeak(" ".join([LONG_TEXT] * 3)), "ogg", bitrate="24k"), "rb").read()
    assert len(data) < MAX_UPLOAD_MB * 2**20
    body = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="long.ogg"\r\n\r\n' + data
            + b"\r\n--b--\r\n")
    dropped, started = (full_log(api_server).count(text) for text in ("its work is dropped", "of audio to transcribe"))
    with socket.create_connection((api_server.host, api_server.rest_port), timeout=60) as sock:
        sock.sendall(b"POST /v1/audio/transcriptions HTTP/1.1\r\nHost: test\r\n"
                     b"Content-Type: multipart/form-data; boundary=b\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        deadline = time.monotonic() + 60  # (leave once its transcription started)
        while full_log(api_server).count("of audio to transcribe") == started and time.monotonic() < deadline:
            time.sleep(0.1)
    deadline = time.monotonic() + 60
    while full_log(api_server).count("its work is dropped") == dropped and time.monotonic() < deadline:
        time.sleep(0.2)
    assert full_log(api_server).count("its work is dropped") > dropped
    assert "Traceback" not in full_log(api_server)


def test_a_client_that_leaves_mid_upload_does_not_hurt_the_server(api_server, client, speech):
    def body():
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
        yield b"\0" * 100_000
        raise ConnectionAbortedError("the client gives up")

    with pytest.raises(Exception):
        httpx.post(f"{api_server.base_url}/audio/transcriptions", content=body(),
                   headers={"content-type": "multipart/form-data; boundary=b"}, timeout=30)
    assert wer(SENTENCE, transcribe(client, speech).text) <= 0.3
    assert "Traceback" not in full_log(api_server)
