#!/usr/bin/env python3
"""Start the whisper-live server: ``python run_server.py --backend faster_whisper`` (see --help)."""

import sys

from whisper_live.server.cli import main

if __name__ == "__main__":
    sys.exit(main())
