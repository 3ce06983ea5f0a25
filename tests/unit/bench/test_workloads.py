"""BENCHMARKS.md's workloads (whisper_live/bench/workloads.py): each a valid command of its bench module,
full and cut short, and the groups that name them."""

from __future__ import annotations

import pytest

from whisper_live.bench import workloads
from whisper_live.bench.workload import MODULES, SMOKE_CLIP, parse_bench_args


def _as_run(workload):
    """The arguments as the runner passes them: sized by a capacity, pointed at a port."""
    bound = workload.with_capacity(5).bind(9999, 8999)
    port_flag = MODULES[bound.module].port_flag
    extra = (port_flag, "9999") if port_flag and bound.server is not None else ()
    return bound, extra


@pytest.mark.parametrize("workload", workloads.WORKLOADS, ids=lambda w: w.name)
def test_each_workload_is_a_valid_command_of_its_bench_full_and_cut_short(workload):
    for w in (workload, workload.smoke()):
        bound, extra = _as_run(w)
        assert not [a for a in bound.bench if "PORT" in a]
        parse_bench_args(bound, extra)  # (SystemExit when not valid)
    smoke = parse_bench_args(*_as_run(workload.smoke()))
    if workload.module == workloads.API_FILE:
        assert smoke.repeat == 1 and smoke.audio == SMOKE_CLIP and smoke.reference is None
    elif workload.module == workloads.DIARIZATION:
        assert smoke.turns == 2 and smoke.clients <= 2 and len(smoke.seeds.split(",")) == smoke.clients
    elif workload.module == workloads.THROTTLED_LINK:
        assert smoke.seconds == 12 and smoke.pcm_seconds == 6
    elif workload.module == workloads.TELEPHONY:
        assert smoke.duration == 12 and smoke.calls <= 2
    else:
        assert smoke.duration == 12 and not smoke.offline
        assert smoke.clients <= 2 and smoke.silent <= 2 and smoke.readers <= 2 and smoke.stalled_readers <= 2
        assert smoke.ramp in (None, "1,2")


def test_groups_name_workloads_and_choosing_one_runs_each_of_its_workloads_once_in_order():
    assert {w for names in workloads.GROUPS.values() for w in names} == set(workloads.BY_NAME) - {"api-file"}
    chosen = workloads.chosen(["phone-8", "phones", "capacity"])
    assert [w.name for w in chosen] == ["phone-8", "phone-1", "phone-1-pcm", "phone-8-pcm", "capacity"]
    assert workloads.chosen([]) == list(workloads.WORKLOADS)


def test_the_list_shows_each_workloads_commands_and_a_capacity_multiple_as_such(capsys):
    assert workloads.main(["--list", "ladder", "diar-3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == [*workloads.GROUPS["ladder"], "diar-3"]
    three = next(line for line in out if line.startswith("capacity-3x:"))
    assert "--clients '<3 x the capacity of capacity>'" in three and "--no_admission_control" in three
    capacity = next(line for line in out if line.startswith("capacity:"))
    assert "--no_admission_control" not in capacity  # admission on: the capacity at full quality
    assert next(line for line in out if line.startswith("diar-3:")) == \
        "diar-3: python -m whisper_live.bench.diarization --conversation 3"


def test_unknown_names_are_refused(capsys):
    with pytest.raises(SystemExit):
        workloads.main(["--list", "nonesuch"])
    assert "unknown workload nonesuch" in capsys.readouterr().err


def test_the_peer_runs_from_its_script_in_its_default_mode_and_with_its_batch_inference(capsys):
    assert workloads.main(["--list", "peer"]) == 0
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert set(lines) == {"whisperlive", "whisperlive-batch"}
    for name, line in lines.items():
        server = line.split("--spawn-server ", 1)[1]
        assert server.startswith("'bash benchmarks/whisperlive.sh serve --port")
        assert server.rstrip("'").endswith("--batch") == (name == "whisperlive-batch")
