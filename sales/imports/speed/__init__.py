"""The import's speed machinery, behind this one entry point: the rest of sales/imports/ imports only this.

Two ways to use the second core during a large import, neither of which changes what is imported:
- the worker (forked.py): one child process that romanizes names and scans for look-alikes while this process
  reads and writes the rows (`worker_if`, `later`; `texts_out`/`texts_in` make texts cheap to send);
- the head start (warm.py, reading the XML with glimpse.py): while calamine parses an xlsx sheet, the sheet's
  XML is read here and its names, phones and emails converted ahead (`head_start`).
`SALESBOT_FORK=0` and `SALESBOT_HEAD_START=0` switch them off (bench/importing.py measures both ways).
"""

from __future__ import annotations

from sales.imports.speed.forked import Worker, later, shutdown, texts_in, texts_out, worker_if
from sales.imports.speed.warm import Warm, head_start

__all__ = ["Warm", "Worker", "head_start", "later", "shutdown", "texts_in", "texts_out", "worker_if"]
