"""The pipeline table (tfir/pipeline.py): its stages, their passes and their order."""

from __future__ import annotations

from tests.support.tf_stage import GRAPH_OPTS
from tfir.pipeline import PIPELINE, steps_for


def test_graph_opts_run_in_the_tf_stage_in_this_order() -> None:
    tf_stage = [s.pass_name for s in PIPELINE if s.stage == "tf"]
    assert [n for n in tf_stage if n in GRAPH_OPTS] == list(GRAPH_OPTS)
    assert tf_stage[0] == "inline-calls"


def test_the_schedule_stage_is_seven_named_passes() -> None:
    names = [s.pass_name for s in steps_for("numpy") if s.stage == "schedule"]
    assert names == ["numpy-native-kernels", "numpy-row-groups", "numpy-schedule", "numpy-elide-fills",
                     "numpy-split-contractions", "numpy-gather-views", "numpy-threads"]


def test_the_device_stage_is_eleven_named_passes() -> None:
    names = [s.pass_name for s in steps_for("triton") if s.stage == "device"]
    assert names == ["untile-loops", "merge-tile-pieces", "fold-transposes", "convert-loops-to-device",
                     "inline-scalar-constants", "cse", "drop-overwritten-stores", "narrow-broadcast-loads",
                     "dce", "prune-kernel-args", "drop-unused-globals"]
