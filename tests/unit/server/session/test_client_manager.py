"""The register of connected clients (whisper_live/server/session/client_manager.py): who is admitted, and for
how long a client counts against the room for the next."""

from tests.fakes import Clock
from whisper_live.admission import Admission, LoadMeter
from whisper_live.server.session.client_manager import ClientManager


def test_clients_count_from_their_admission_until_a_horizon_passes_without_their_windows():
    """Clients that connect at once to a loaded server count before their first window, and a client that
    says nothing for a whole horizon stops counting."""
    clock = Clock(100.0)
    meter = LoadMeter(workers=2, horizon=30.0, clock=clock)
    manager = ClientManager(Admission(meter, max_clients=16, max_final_utilization=0.65), 600, clock=clock)
    speakers = [object() for _ in range(3)]
    for c in speakers:
        assert manager.try_add(c) is None
    clock.now += 30
    for c in speakers:
        meter.record(6.0, 6.0, [c], [0.5])  # 0.2 worker-seconds a second each: 30% of the 2 workers
    # one more makes 40%, ..., three more 60%, four more 70%: the fourth of a crowd waits, although none of
    # the crowd has spoken yet
    crowd = [object() for _ in range(4)]
    assert [manager.try_add(c) is None for c in crowd] == [True, True, True, False]
    assert manager.room() == (6, 0)
    manager.remove(crowd[0])  # one of them left: the next is admitted
    assert manager.try_add(crowd[3]) is None
    manager.remove(crowd[3])
    # the crowd stays silent: after a horizon without their windows they no longer count
    clock.now += 20
    for c in speakers:
        meter.record(4.0, 4.0, [c], [0.5])
    clock.now += 11
    for c in speakers:
        meter.record(2.0, 2.0, [c], [0.5])
    assert manager.room() == (5, 3)
