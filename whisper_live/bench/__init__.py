"""Load benchmark: N concurrent clients stream speech at real time to a WhisperLive-protocol server."""
