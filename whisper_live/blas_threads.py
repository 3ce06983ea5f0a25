"""numpy's BLAS on one thread, for processes that serve (or load) speech on a few shared cores.

numpy hands a matrix product to its BLAS (OpenBLAS in numpy's wheels), which splits a large enough one over
one thread per core. After the product those threads do not sleep at once: they spin, waiting for the next
one, for about a tenth of a second. The server's products are small and frequent: the mel filterbank of every
model window (faster-whisper's feature extractor) and of every speaker embedding. On a 2-core guest one
feature extraction of 10 s of audio cost 11 ms of CPU on one thread and 121 ms with two, nearly all of it the
second thread spinning beside the model's own threads. With 8 clients labelling speakers, a server on one BLAS
thread ran twice as many partial windows (303 against 142) and its final p50 fell from 1.92 to 1.36 s.

``OMP_NUM_THREADS`` (which the server sets from ``--cpu_threads``) comes too late for this: numpy, and with it
OpenBLAS, is loaded before the command line is read. :func:`use_one_blas_thread` sets the limit in the running
process through threadpoolctl, whatever the BLAS and whenever it was loaded. The model's own threads
(CTranslate2, onnxruntime, OpenVINO) are set by their own options and are not touched.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def use_one_blas_thread() -> bool:
    """Limit every BLAS loaded in this process to one thread; False (and a DEBUG line) if threadpoolctl is
    missing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log.debug("threadpoolctl is not installed: numpy's BLAS keeps its default threads")
        return False
    import numpy  # noqa: F401  (loads the BLAS, so that the limit reaches it)

    threadpool_limits(limits=1, user_api="blas")
    return True
