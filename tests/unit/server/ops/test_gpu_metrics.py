"""GPU series from NVML (whisper_live/server/ops/gpu_metrics.py), with a fake NVML."""

from __future__ import annotations


def test_gpu_series_from_nvml():
    from types import SimpleNamespace

    from prometheus_client import CollectorRegistry, generate_latest

    from whisper_live.server.ops.gpu_metrics import GpuCollector

    class FakeNvml:  # NVML's calls, as nvidia-ml-py names them, for one 80 GiB GPU
        nvmlDeviceGetCount = staticmethod(lambda: 1)
        nvmlDeviceGetHandleByIndex = staticmethod(lambda i: f"gpu{i}")
        nvmlDeviceGetName = staticmethod(lambda h: b"NVIDIA H100")
        nvmlDeviceGetMemoryInfo = staticmethod(lambda h: SimpleNamespace(used=2 ** 30, total=80 * 2 ** 30))
        nvmlDeviceGetUtilizationRates = staticmethod(lambda h: SimpleNamespace(gpu=37))

    registry = CollectorRegistry()
    registry.register(GpuCollector(FakeNvml))
    text = generate_latest(registry).decode()
    assert 'whisperlive_gpu_memory_used_bytes{gpu="0",name="NVIDIA H100"} 1.073741824e+09' in text
    assert 'whisperlive_gpu_utilization{gpu="0",name="NVIDIA H100"} 0.37' in text

    class Broken(FakeNvml):
        nvmlDeviceGetCount = staticmethod(lambda: (_ for _ in ()).throw(RuntimeError("GPU is lost")))

    broken = CollectorRegistry()
    broken.register(GpuCollector(Broken))
    assert "whisperlive_gpu_utilization gauge" in generate_latest(broken).decode(), "the scrape still works"
