"""The faster_whisper backend seeds CTranslate2's sampler, so the temperature fallback is reproducible.

Sampling at a high temperature gives different text on every unseeded run; two fresh processes that load
the bundled tiny.en through the backend must sample the same text.
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = """
import numpy as np
from whisper_live.models import resolve_model
from whisper_live.transcriber import load_transcriber

t = load_transcriber("faster_whisper", resolve_model("tiny.en"))
audio = np.random.default_rng(0).normal(0, 0.1, 16000 * 3).astype(np.float32)
features = t.model.feature_extractor(np.concatenate([audio, np.zeros(16000 * 5, np.float32)]))
tok = t._tokenizer("transcribe", "en")
out = t.model.model.generate(t._storage(np.asarray(features, dtype=np.float32)[None]),
                             [list(tok.sot_sequence) + [tok.no_timestamps]],
                             sampling_topk=0, sampling_temperature=2.0, max_length=60)[0]
print(repr(tok.decode([x for x in out.sequences_ids[0] if x < tok.eot])))
"""


def sample() -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_two_runs_sample_the_same_text():
    first, second = sample(), sample()
    assert len(first) > 10
    assert first == second
