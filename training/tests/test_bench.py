"""fasedge.bench: both precisions measured in the same run, on the pipeline's networks."""
from fasedge.bench import bench


def test_bench_measures_both_precisions_side_by_side():
    lines = []
    res = bench(("student",), rounds=2, steps=1, batch=4, threads=1, log=lines.append)
    m = res["models"]["student"]
    assert set(m["imgPerS"]) == {"fp32", "bf16"}
    for p in ("fp32", "bf16"):
        assert len(m["rounds"][p]["train"]) == 2 and all(v > 0 for v in m["rounds"][p]["train"] + m["rounds"][p]["score"])
    assert m["bf16OverFp32"]["train"] == m["imgPerS"]["bf16"]["train"] / m["imgPerS"]["fp32"]["train"]
    assert len(lines) == 1 and lines[0].startswith("student") and "x)" in lines[0]
