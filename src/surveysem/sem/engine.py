"""semopy, imported without side effects on the importing process's logging.

semopy 2.3.11 calls `logging.info` at import time when the graphviz package is absent
(semopy/plot.py), which makes the logging module install a stderr handler on the root
logger. In the Snakemake process that duplicates every Snakemake message, so the handlers
present before the import are restored after it.
"""

import logging

_handlers = list(logging.getLogger().handlers)
import semopy  # noqa: E402
from semopy.utils import chol_inv2  # noqa: E402

logging.getLogger().handlers[:] = _handlers

__all__ = ["chol_inv2", "semopy"]
