"""The transcription server: its live sessions (session/), operating it (ops/), its configuration, models and command line."""
