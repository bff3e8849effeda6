"""The rows of one raw table between building and landing."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa


@dataclass
class Table:
    """Rows of one raw table before landing: columns plus what landing needs to know."""

    system: str
    name: str
    columns: dict[str, np.ndarray | pa.Array]
    event_time: np.ndarray  # drives _loaded_at
    is_final: np.ndarray  # the newest version of its key (only those are redelivered)
    key_columns: tuple[str, ...]
    rejected: dict[str, dict[str, np.ndarray | pa.Array]] = field(default_factory=dict)
    rejected_time: dict[str, np.ndarray] = field(default_factory=dict)
    rejected_column: dict[str, str] = field(default_factory=dict)  # the column a reason's junk rows break
