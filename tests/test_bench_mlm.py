"""benchmarks/bench_mlm.py on the tiny model: a row per head on the same batches, the same first loss (no speed is
asserted)."""
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_mlm  # noqa: E402


@pytest.mark.parametrize("peft", [[], ["--peft", "lora"]])
def test_bench_mlm_rows(peft, capsys):
    rows = bench_mlm.main(["--config", "tiny", "--steps", "2", "--warmup_steps", "1", "--batch_size", "4", *peft])
    assert [row["head"] for row in rows] == list(bench_mlm.HEADS)
    assert rows[0]["first_loss"] == pytest.approx(rows[1]["first_loss"], abs=1e-5)
    assert all(row["samples_per_s"] > 0 and row["masked_tokens_per_s"] > 0 for row in rows)
    assert "head over masked only" in capsys.readouterr().out
