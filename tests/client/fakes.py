"""Test doubles for the client's audio input: a fake ``sounddevice`` module with one microphone."""

import threading
import types


class FakeSoundDevice(types.ModuleType):
    """Just enough of sounddevice: one 44.1 kHz input device that refuses 16 kHz."""

    class PortAudioError(Exception):
        pass

    def __init__(self, feed):
        super().__init__("sounddevice")
        self.feed = feed
        self.opened = None
        self.delivered = 0

    def query_devices(self, device=None, kind=None):
        return {"name": "fake mic", "max_input_channels": 1, "default_samplerate": 44100.0}

    def check_input_settings(self, device=None, channels=None, samplerate=None, dtype=None):
        if samplerate != 44100:
            raise self.PortAudioError("Invalid sample rate [PaErrorCode -9997]")

    def InputStream(self, **kw):  # noqa: N802 (sounddevice's name)
        fake = self
        fake.opened = kw

        class Stream:
            def start(self):
                def run():
                    for block in fake.feed:
                        kw["callback"](block, block.shape[0], None, None)
                        fake.delivered += 1
                threading.Thread(target=run).start()

            def stop(self):
                pass

            def close(self):
                pass
        return Stream()
