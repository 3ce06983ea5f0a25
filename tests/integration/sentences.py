"""The sentences the real-model server tests have espeak-ng speak, and the silence put around speech."""

import numpy as np


SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "My favourite season is autumn because the leaves turn red and gold.",
    "We will meet at the train station at nine o'clock tomorrow morning.",
]


def with_silence(audio, before=0.5, after=1.0):
    return np.concatenate([np.zeros(int(before * 16000), np.float32), audio,
                           np.zeros(int(after * 16000), np.float32)])
