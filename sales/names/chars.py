"""Character classes of company names: Han ranges, and the runs a name splits into."""

from __future__ import annotations

import re

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE = re.compile(f"[{_HAN}]")
_PLAIN_HAN_RE = re.compile("[\u4e00-\u9fff]+")  # CJK Unified Ideographs: unchanged by NFKC and casefold
# Han runs and other alphanumeric runs come out as separate parts so suffix rules can see them.
_PART_RE = re.compile(f"[{_HAN}]+|[^\\W_{_HAN}]+")
