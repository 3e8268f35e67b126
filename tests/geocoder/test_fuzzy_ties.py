"""Fuzzy look-ups answer the same in every process, whatever Python's string hashing."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# POIs exactly as near to each query as another: a fuzzy tie each
_PROBE = """
import json
from geocoder.forward import geocode
from tests.geocoder.snapshots import snapshot
gaz = snapshot([], pois=[(name, "写字楼", None, 118.0 + i / 100, 24.5) for i, name in enumerate(NAMES)])
print(json.dumps([geocode(gaz, q).candidates[0].elements for q in ("远望科技大厦丙座", "远望科技大厦丁座")]))
"""
_NAMES = ["远望科技大厦甲座", "远望科技大厦乙座", "远望科技大厦戊座", "远望科技大厦己座"]


def test_equal_fuzzy_scores_rank_the_same_whatever_the_hash_seed() -> None:
    code = _PROBE.replace("NAMES", json.dumps(_NAMES, ensure_ascii=False))
    probes = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in range(4)
    ]
    answers = [json.loads(p.communicate(timeout=120)[0]) for p in probes]
    assert all(p.returncode == 0 for p in probes)
    assert all(a == answers[0] for a in answers), answers
