"""Load benchmark: N concurrent clients stream speech at real time to a WhisperLive-protocol server.

A bench process shares the machine's cores with the server it measures, and runs faster-whisper itself for
the machine's speed and the file comparisons: like the server, it keeps numpy's BLAS on one thread
(:mod:`whisper_live.blas_threads`), so that its spinning BLAS threads neither slow the server nor its own
reference figures.
"""

from whisper_live.blas_threads import use_one_blas_thread

use_one_blas_thread()
