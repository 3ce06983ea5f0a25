"""The quality ladder's state machine (whisper_live/ladder.py) with a fake clock: down when finals are late,
up after a calm spell, no flapping, and the rung of a final that is late itself."""

from whisper_live.ladder import FULL, GREEDY, RUNGS, SHORT_CONTEXT, SLOW_PARTIALS, QualityLadder


class Clock:
    def __init__(self, now=100.0):
        self.now = now

    def __call__(self):
        return self.now


def make(**options):
    clock = Clock()
    return QualityLadder(clock=clock, down_after=1.0, up_after=10.0, max_up_after=40.0, **options), clock


def test_it_starts_at_the_top_and_stays_there_while_finals_are_on_time():
    ladder, clock = make()
    for _ in range(30):
        clock.now += 1.0
        assert ladder.observe(False) is FULL


def test_late_finals_step_it_down_one_rung_at_most_each_down_after_seconds():
    ladder, clock = make()
    assert ladder.observe(True) is SHORT_CONTEXT
    clock.now += 0.5
    assert ladder.observe(True) is SHORT_CONTEXT  # too soon after the last move
    clock.now += 0.5
    assert ladder.observe(True) is GREEDY
    for _ in range(5):
        clock.now += 1.0
        ladder.observe(True)
    assert ladder.rung is SLOW_PARTIALS is ladder.cheapest  # and no further


def test_a_final_that_waited_through_the_last_move_does_not_move_it():
    ladder, clock = make()
    ladder.observe(True)  # down at 100
    clock.now += 2.0
    assert ladder.observe(True, since=99.0) is SHORT_CONTEXT  # due before the move: says nothing of this rung
    assert ladder.observe(True, since=100.5) is GREEDY


def test_it_steps_up_one_rung_after_up_after_seconds_without_a_late_final():
    ladder, clock = make()
    ladder.observe(True)
    clock.now += 1.0
    ladder.observe(True)  # greedy, at 101
    clock.now += 9.9
    assert ladder.observe(False) is GREEDY
    clock.now += 0.1
    assert ladder.observe(False) is SHORT_CONTEXT
    clock.now += 5.0
    assert ladder.observe(False) is SHORT_CONTEXT  # each step up waits the whole spell again
    clock.now += 5.0
    assert ladder.observe(False) is FULL


def test_a_failed_trial_doubles_the_wait_before_the_next_and_a_held_one_resets_it():
    ladder, clock = make()
    ladder.observe(True)  # short_context at 100
    clock.now += 10.0
    assert ladder.observe(False) is FULL  # trial at 110
    clock.now += 2.0
    assert ladder.observe(True) is SHORT_CONTEXT and ladder.up_after == 20.0  # failed at 112
    clock.now += 10.0
    assert ladder.observe(False) is SHORT_CONTEXT  # not yet: 20 s now
    clock.now += 10.0
    assert ladder.observe(False) is FULL  # trial at 132
    clock.now += 2.0
    ladder.observe(True)  # failed again
    assert ladder.up_after == 40.0
    clock.now += 40.0
    assert ladder.observe(False) is FULL  # trial at 174
    clock.now += 2.0
    ladder.observe(True)
    assert ladder.up_after == 40.0  # at most max_up_after
    clock.now += 40.0
    ladder.observe(False)  # trial at 216
    clock.now += 40.0
    assert ladder.observe(False) is FULL and ladder.up_after == 10.0  # held for the whole wait: reset


def test_flapping_load_moves_it_rarely():
    # finals late every 12 s (just past the base wait): each trial fails, and the waits grow
    ladder, clock = make()
    moves, last = 0, ladder.rung
    for second in range(600):
        clock.now = 100.0 + second
        rung = ladder.observe(second % 12 == 0)
        moves += rung is not last
        last = rung
    assert moves <= 2 * (600 // 40) + 4


def test_a_late_final_is_decoded_at_least_at_short_context():
    ladder, _ = make()
    assert ladder.for_final(False) is FULL
    assert ladder.for_final(True) is SHORT_CONTEXT
    ladder.observe(True)
    ladder._clock.now += 1.0
    ladder.observe(True)
    assert ladder.for_final(True) is GREEDY and ladder.for_final(False) is GREEDY


def test_moves_are_told_to_the_observer():
    moves = []
    ladder, clock = make(on_move=moves.append)
    ladder.observe(True)
    clock.now += 10.0
    ladder.observe(False)
    assert moves == [SHORT_CONTEXT, FULL]


def test_costs_fall_down_the_ladder_and_scale_to_the_cheapest():
    assert [r.cost for r in RUNGS] == sorted((r.cost for r in RUNGS), reverse=True)
    ladder, _ = make()
    assert ladder.cost_at_cheapest(FULL) == SLOW_PARTIALS.cost / FULL.cost
    assert ladder.cost_at_cheapest(GREEDY) == 1.0
    assert "greedy" in GREEDY.describe() and "8 s" in GREEDY.describe()
