"""X-Twilio-Signature: Twilio's documented example, the WebSocket case (URL alone), and forgeries."""

from whisper_live.telephony.signature import is_valid, signature

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
          "To": "+18005551212"}


def test_twilios_documented_example():
    assert signature(TOKEN, URL, PARAMS) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert is_valid(TOKEN, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", URL, PARAMS)


def test_a_websocket_upgrade_is_signed_over_the_url_alone():
    url = "wss://calls.example.com/twilio?token=abc"
    header = signature(TOKEN, url)
    assert is_valid(TOKEN, header, url)
    assert is_valid(TOKEN, header, "wss://calls.example.com:443/twilio?token=abc")  # a proxy added the port
    assert not is_valid(TOKEN, header, "wss://calls.example.com/twilio?token=abd")


def test_forgeries_and_missing_parts_fail():
    header = signature(TOKEN, URL, PARAMS)
    assert not is_valid("54321", header, URL, PARAMS)
    assert not is_valid(TOKEN, header, URL, {**PARAMS, "Digits": "9"})
    assert not is_valid(TOKEN, None, URL, PARAMS)
    assert not is_valid("", header, URL, PARAMS)
    assert not is_valid(TOKEN, header[:-2], URL, PARAMS)


def test_a_stream_upgrade_is_checked_against_the_wss_and_ws_urls_of_its_host():
    from whisper_live.telephony.signature import is_valid_stream, signature

    for url in ("wss://h.example.com/twilio?x=1", "ws://h.example.com/twilio?x=1"):
        assert is_valid_stream("tok", signature("tok", url), "h.example.com", "/twilio?x=1")
    assert not is_valid_stream("tok", signature("tok", "wss://h.example.com/twilio"), "h.example.com", "/other")
    assert not is_valid_stream("tok", signature("tok", "wss://h.example.com/twilio"), "", "/twilio")
