#!/usr/bin/env python3
"""Run the whisper-live client; see ``python run_client.py --help`` and docs/client.md."""

import sys

from whisper_live.client.cli import main

if __name__ == "__main__":
    sys.exit(main())
