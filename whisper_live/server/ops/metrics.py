"""The server's Prometheus metrics: one registry, every metric, and what feeds them.

Names shared with collabora's WhisperLive keep its users' dashboards working (same meaning, same name):

* ``whisperlive_connections_total``: WebSocket sessions admitted;
* ``whisperlive_connections_active``: sessions connected now;
* ``whisperlive_connections_rejected_total{reason}``: connections turned away (``auth``, ``origin``,
  ``per_ip_limit``, ``full``, ``draining``, ``bad_options``, ``model``; ``balancer_full``,
  ``balancer_draining``: sent back to the load balancer to try another server);
* ``whisperlive_transcription_latency_seconds``: from the moment a window's audio was due to its transcript,
  every window (partial and final);
* ``whisperlive_audio_processed_seconds_total``: seconds of audio received from clients;
* ``whisperlive_segments_emitted_total{completed}``: segments sent, ``completed="true"`` each committed
  segment once, ``"false"`` each in-progress hypothesis sent;
* ``whisperlive_rest_requests_total{endpoint,status}``: for the REST layer to count its requests;
* ``whisperlive_rooms`` and ``whisperlive_room_readers``: rooms open and readers following them now;
  ``whisperlive_room_readers_admitted_total`` (readers let in), ``whisperlive_room_readers_dropped_total{reason}``
  (``too_far_behind``) and ``whisperlive_room_readers_rejected_total{reason}`` (``not_found``, ``full``);
* ``whisperlive_errors_total{type}``: ``inference`` (a failed model call), ``protocol`` (a client broke the
  protocol), ``http`` (an unknown path or a wrong method).

What only this server knows, labelled by ``backend`` and ``model`` (never by client):

* ``whisperlive_final_latency_seconds`` and ``whisperlive_partial_latency_seconds``: due to transcript, by kind;
* ``whisperlive_inference_batch_size``, ``whisperlive_inference_batch_seconds`` (one model call) and
  ``whisperlive_inference_queue_wait_seconds`` (due to the call's start);
* ``whisperlive_model_utilization``: share of the inference workers' time spent in model calls (30 s);
* ``whisperlive_admission_headroom``: the share of capacity still free for new clients
  (:meth:`whisper_live.admission.Admission.headroom`), 0 when the server would answer WAIT;
* ``whisperlive_final_windows_total{rung}``: final windows decoded, by the quality ladder's rung they were
  decoded at (whisper_live/ladder.py: ``full``, ``short_context``, ``greedy``, ``slow_partials``);
* ``whisperlive_quality_rung``: the ladder's rung now, 0 (``full``) to 3 (``slow_partials``);
* ``whisperlive_compute_type_info{work,compute_type,reason}``: 1 for the compute type each kind of work
  (``partial``, ``final``, ``file``) runs with, and why it was chosen
  (whisper_live/transcriber/compute_types.py).

Phone calls (``/twilio``, docs/telephony.md), once :meth:`Metrics.watch_telephony` is given the webhook
counters: ``whisperlive_telephony_callbacks_total{outcome}`` (``delivered``; ``undelivered``: given up,
each logged with its text), ``whisperlive_telephony_callback_retries_total`` and
``whisperlive_telephony_callback_urls_refused_total`` (calls whose webhook the allow-list refused). Calls
turned away are counted in ``whisperlive_connections_rejected_total`` (``full``, ``draining``,
``twilio_signature``, ``callback_url``, ``bad_call``).

The process collector adds ``process_resident_memory_bytes`` and CPU time; on a machine with an NVIDIA GPU
and ``nvidia-ml-py``, ``whisper_live.server.ops.gpu_metrics`` adds GPU memory and utilisation.
"""

from __future__ import annotations

from typing import Callable

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               PlatformCollector, ProcessCollector, disable_created_metrics, generate_latest)

from whisper_live.server.ops.gpu_metrics import gpu_collector
from whisper_live.streaming.windows import FINAL

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
BATCH_SIZE_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 32)
MODEL_LABELS = ("backend", "model")

disable_created_metrics()  # no *_created series: WhisperLive's dashboards do not read them


class Metrics:
    """Every metric of one server, in a registry of its own (two servers in one process do not mix)."""

    def __init__(self, gpu: bool = True) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        gpus = gpu_collector() if gpu else None
        if gpus is not None:
            registry.register(gpus)
        self.connections = Counter("whisperlive_connections", "WebSocket sessions admitted", registry=registry)
        self.connections_active = Gauge("whisperlive_connections_active", "WebSocket sessions connected now",
                                        registry=registry)
        self.rejected = Counter("whisperlive_connections_rejected", "Connections turned away, by reason",
                                ["reason"], registry=registry)
        self.transcription_latency = Histogram(
            "whisperlive_transcription_latency_seconds",
            "From a window's audio being due to its transcript, every window", buckets=LATENCY_BUCKETS,
            registry=registry)
        self.audio_processed = Counter("whisperlive_audio_processed_seconds", "Seconds of audio received",
                                       registry=registry)
        self.segments = Counter("whisperlive_segments_emitted", "Segments sent to clients (completed: committed "
                                "once; not completed: each in-progress hypothesis sent)", ["completed"],
                                registry=registry)
        self.rest_requests = Counter("whisperlive_rest_requests", "REST requests, by endpoint and HTTP status",
                                     ["endpoint", "status"], registry=registry)
        self.errors = Counter("whisperlive_errors", "Errors, by type", ["type"], registry=registry)
        self.final_latency = Histogram(
            "whisperlive_final_latency_seconds", "From an utterance's confirmed end to its committed transcript",
            MODEL_LABELS, buckets=LATENCY_BUCKETS, registry=registry)
        self.partial_latency = Histogram(
            "whisperlive_partial_latency_seconds", "From new speech being waiting to its partial transcript",
            MODEL_LABELS, buckets=LATENCY_BUCKETS, registry=registry)
        self.batch_size = Histogram("whisperlive_inference_batch_size", "Clients' windows in one model call",
                                    MODEL_LABELS, buckets=BATCH_SIZE_BUCKETS, registry=registry)
        self.batch_seconds = Histogram("whisperlive_inference_batch_seconds", "Duration of one model call",
                                       MODEL_LABELS, buckets=LATENCY_BUCKETS, registry=registry)
        self.queue_wait = Histogram("whisperlive_inference_queue_wait_seconds",
                                    "From a window's audio being due to the start of its model call",
                                    MODEL_LABELS, buckets=LATENCY_BUCKETS, registry=registry)
        self.utilization = Gauge("whisperlive_model_utilization",
                                 "Share of the inference workers' time in model calls over the last 30 s",
                                 MODEL_LABELS, registry=registry)
        self.headroom = Gauge("whisperlive_admission_headroom",
                              "Share of capacity still free for new clients (0: new clients get WAIT)",
                              MODEL_LABELS, registry=registry)
        self.rooms = Gauge("whisperlive_rooms", "Rooms open", registry=registry)
        self.room_readers = Gauge("whisperlive_room_readers", "Readers following a room now", registry=registry)
        self.room_readers_total = Counter("whisperlive_room_readers_admitted", "Readers let into a room", registry=registry)
        self.room_readers_dropped = Counter("whisperlive_room_readers_dropped", "Readers dropped, by reason",
                                            ["reason"], registry=registry)
        self.room_readers_rejected = Counter("whisperlive_room_readers_rejected", "Readers refused, by reason",
                                             ["reason"], registry=registry)
        self.final_rungs = Counter("whisperlive_final_windows", "Final windows decoded, by the quality ladder's "
                                   "rung", MODEL_LABELS + ("rung",), registry=registry)
        self.quality_rung = Gauge("whisperlive_quality_rung", "The quality ladder's rung now (0: full quality)",
                                  MODEL_LABELS, registry=registry)
        self.compute_type = Gauge("whisperlive_compute_type_info", "1 for the compute type of each kind of work "
                                  "(partial, final, file), and why it was chosen",
                                  MODEL_LABELS + ("work", "compute_type", "reason"), registry=registry)
        # Pre-create the label sets every dashboard expects, so that they read 0 rather than nothing.
        for completed in ("true", "false"):
            self.segments.labels(completed=completed)

    # --- feeding ------------------------------------------------------------------------------------------

    def batch_observer(self, backend: str, model: str) -> Callable:
        """A ``Scheduler.on_batch`` callback recording one model call of ``backend``/``model``."""
        labels = {"backend": backend, "model": model}
        size, seconds, wait = (m.labels(**labels) for m in (self.batch_size, self.batch_seconds, self.queue_wait))
        final, partial = self.final_latency.labels(**labels), self.partial_latency.labels(**labels)

        def observe(report) -> None:
            if report.failed:
                self.errors.labels(type="inference").inc()
            for rung in getattr(report, "final_rungs", ()):
                self.final_rungs.labels(rung=rung or "none", **labels).inc()
            size.observe(report.size)
            seconds.observe(report.seconds)
            for kind, waited, latency in report.windows:
                wait.observe(waited)
                if not report.failed:
                    (final if kind == FINAL else partial).observe(latency)
                    self.transcription_latency.observe(latency)

        return observe

    def watch_model(self, backend: str, model: str, utilization: Callable[[], float]) -> None:
        """Read ``backend``/``model``'s utilisation at each scrape."""
        self.utilization.labels(backend=backend, model=model).set_function(utilization)

    def watch_ladder(self, backend: str, model: str, rung_index: Callable[[], int]) -> None:
        """Read ``backend``/``model``'s quality ladder rung at each scrape."""
        self.quality_rung.labels(backend=backend, model=model).set_function(rung_index)

    def compute_types(self, backend: str, model: str, choices: dict) -> None:
        """The compute type of each kind of work: ``{work: (compute_type, reason)}``."""
        for work, (compute_type, reason) in choices.items():
            self.compute_type.labels(backend=backend, model=model, work=work, compute_type=compute_type,
                                     reason=reason).set(1)

    def watch_headroom(self, backend: str, model: str, headroom: Callable[[], float]) -> None:
        self.headroom.labels(backend=backend, model=model).set_function(headroom)

    def watch_telephony(self, counters) -> None:
        """Export ``counters`` (a :class:`whisper_live.telephony.webhook.WebhookCounters`) at each scrape."""
        self.registry.register(_TelephonyCollector(counters))
    def watch_rooms(self, rooms) -> None:
        """Read the rooms and readers of ``rooms`` (a whisper_live.rooms.RoomRegistry) at each scrape."""
        self.rooms.set_function(lambda: rooms.rooms)
        self.room_readers.set_function(lambda: rooms.readers)

    def reject(self, reason: str) -> None:
        self.rejected.labels(reason=reason).inc()

    def segments_sent(self, completed: int, partial: int) -> None:
        if completed:
            self.segments.labels(completed="true").inc(completed)
        if partial:
            self.segments.labels(completed="false").inc(partial)

    # --- exposition ---------------------------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """(body, content type) of a scrape in Prometheus text format."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _TelephonyCollector:
    """The webhook counters of phone calls, read at each scrape."""

    def __init__(self, counters) -> None:
        self.counters = counters

    def collect(self):
        from prometheus_client.core import CounterMetricFamily

        totals = self.counters.snapshot()
        callbacks = CounterMetricFamily("whisperlive_telephony_callbacks",
                                        "Transcription callbacks of phone calls, by outcome (undelivered: given "
                                        "up and logged)", labels=["outcome"])
        for outcome in ("delivered", "undelivered"):
            callbacks.add_metric([outcome], totals[outcome])
        yield callbacks
        yield CounterMetricFamily("whisperlive_telephony_callback_retries",
                                  "Callback deliveries tried again (5xx, 408, 429, timeouts, refused connections)",
                                  value=totals["retries"])
        yield CounterMetricFamily("whisperlive_telephony_callback_urls_refused",
                                  "Calls whose callback URL --telephony_callback_allow refused",
                                  value=totals["refused"])
