"""JSON results: numpy-aware, stable key order, written atomically (no half-written files)."""

import json
import os
from pathlib import Path

import numpy as np


def _default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dump(obj, path):
    """Write ``obj`` as indented JSON to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_default) + "\n")
    os.replace(tmp, path)
    return path


def load(path):
    """Read a JSON results file."""
    return json.loads(Path(path).read_text())


def save_array(array, path):
    """Write a numpy array as ``.npy`` atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "wb") as fh:
        np.save(fh, np.asarray(array))
    os.replace(tmp, path)
    return path
