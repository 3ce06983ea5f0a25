"""GPU memory and utilisation for /metrics, read through NVML (PyPI ``nvidia-ml-py``) at each scrape.

Only where NVML answers: on a machine without an NVIDIA driver, or without the package, the server exposes
no GPU series (:func:`gpu_collector` returns None). Labelled by the GPU's index and name:

* ``whisperlive_gpu_memory_used_bytes``, ``whisperlive_gpu_memory_total_bytes``;
* ``whisperlive_gpu_utilization``: the share of the last sample period a kernel ran (0 to 1).
"""

from __future__ import annotations

import logging
from typing import Optional

from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)


class GpuCollector:
    """A prometheus-client collector over an initialised NVML module (``pynvml``)."""

    def __init__(self, nvml):
        self.nvml = nvml

    def collect(self):
        nvml = self.nvml
        used = GaugeMetricFamily("whisperlive_gpu_memory_used_bytes", "GPU memory in use", labels=["gpu", "name"])
        total = GaugeMetricFamily("whisperlive_gpu_memory_total_bytes", "GPU memory", labels=["gpu", "name"])
        busy = GaugeMetricFamily("whisperlive_gpu_utilization", "Share of time a GPU kernel ran",
                                 labels=["gpu", "name"])
        try:
            for index in range(nvml.nvmlDeviceGetCount()):
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
                name = nvml.nvmlDeviceGetName(handle)
                labels = [str(index), name.decode() if isinstance(name, bytes) else str(name)]
                memory = nvml.nvmlDeviceGetMemoryInfo(handle)
                used.add_metric(labels, float(memory.used))
                total.add_metric(labels, float(memory.total))
                busy.add_metric(labels, nvml.nvmlDeviceGetUtilizationRates(handle).gpu / 100.0)
        except Exception as exc:  # a GPU that stops answering must not break the scrape
            log.debug("NVML: %s", exc)
        return [used, total, busy]


def gpu_collector() -> Optional[GpuCollector]:
    """A collector when NVML is installed and finds a driver; else None."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception as exc:
        log.debug("no GPU metrics: %s", exc)
        return None
    return GpuCollector(pynvml)
