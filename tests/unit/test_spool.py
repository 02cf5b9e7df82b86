import os
import time
from pathlib import Path

from docintake.storage.spool import sweep


def test_sweep_removes_only_stale_spool_files(tmp_path: Path) -> None:
    old, fresh = tmp_path / "upload-old", tmp_path / "upload-new"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    an_old_time = time.time() - 7 * 3600
    os.utime(old, (an_old_time, an_old_time))
    assert sweep(tmp_path) == 1
    assert not old.exists() and fresh.exists()
    assert sweep(tmp_path / "missing") == 0
