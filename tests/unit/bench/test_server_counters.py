"""The server's counters read during a workload (whisper_live/bench/server_counters.py)."""

from __future__ import annotations

import http.server
import threading

from whisper_live.bench.server_counters import MetricsPoller, final_windows_by_rung

METRICS = """# HELP whisperlive_final_windows_total Final windows decoded, by the quality ladder's rung
# TYPE whisperlive_final_windows_total counter
whisperlive_final_windows_total{backend="faster_whisper",model="tiny.en",rung="full"} 40.0
whisperlive_final_windows_total{backend="faster_whisper",model="tiny.en",rung="greedy"} 7.0
whisperlive_final_windows_total{backend="faster_whisper",model="base",rung="full"} 2.0
whisperlive_final_windows_created{backend="faster_whisper",model="tiny.en",rung="full"} 1.7e+09
whisperlive_quality_rung{backend="faster_whisper",model="tiny.en"} 0.0
"""


def test_final_windows_are_counted_by_rung_over_models():
    assert final_windows_by_rung(METRICS) == {"full": 42, "greedy": 7}
    assert final_windows_by_rung("") == {}


def test_the_poller_keeps_the_last_answer_and_says_none_when_none_came():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = METRICS.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        poller = MetricsPoller(f"http://127.0.0.1:{server.server_address[1]}/metrics", interval=0.05).start()
        for _ in range(100):
            if poller.latest:
                break
            threading.Event().wait(0.02)
        assert poller.stop() == {"final_windows_by_rung": {"full": 42, "greedy": 7}}
    finally:
        server.shutdown()
        server.server_close()
    port = server.server_address[1]  # (closed now)
    assert MetricsPoller(f"http://127.0.0.1:{port}/metrics", interval=0.05).start().stop() is None
