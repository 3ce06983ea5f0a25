"""BENCHMARKS.md's workloads (whisper_live/bench/workloads.py): each a valid bench command, full and cut
short."""

from __future__ import annotations

import pytest

from whisper_live.bench import workloads
from whisper_live.bench.command_line import parse_args


@pytest.mark.parametrize("workload", workloads.WORKLOADS, ids=lambda w: w.name)
def test_each_workload_is_a_valid_bench_command(workload):
    for w in (workload, workload.smoke()):
        args = parse_args([*w.bench, "--port", "9999", "--spawn-server", "x"])
        assert args.port == 9999
    smoke = parse_args(list(workload.smoke().bench))
    assert smoke.duration == 12 and not smoke.offline
    assert smoke.clients <= 2 and smoke.silent <= 2
    assert smoke.ramp in (None, "1,2")
