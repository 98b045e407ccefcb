"""The Muse charts and the side-by-side comparison, fed by real generations."""

from __future__ import annotations

import pytest

from app_support import (  # noqa: F401
    GENERATION_TIMEOUT_MS,
    continue_and_wait,
    data_dir,
    embedded_window,
    standin_model,
    type_story,
    window,
)
from muse_desktop.app.engine_worker import chart_rows
from muse_desktop.app.muse_charts import REFRESH_INTERVAL_MS, visible_token
from muse_desktop.sampling import MuseSettings

STORY = "The fox looked at the moon and"


def test_charts_follow_generation(qtbot, window):
    window.settings_panel.max_tokens.setValue(20)
    type_story(window, STORY)

    continue_and_wait(qtbot, window)
    charts = window.charts
    qtbot.waitUntil(lambda: charts.probabilities.data is not None, timeout=2_000)

    data = charts.probabilities.data
    assert 1 <= len(data.labels) <= 8
    assert len(data.probabilities_before) == len(data.labels)
    assert sum(data.probabilities_after) <= 1.0 + 1e-6
    assert [index for index, _ in charts.damp.points] == list(range(20))
    assert len(charts.damp.ramp) == 20


def test_damp_points_follow_ramp(qtbot, window):
    window.settings_panel.max_tokens.setValue(40)
    type_story(window, STORY)

    continue_and_wait(qtbot, window)

    points = dict(window.charts.damp.points)
    assert points[0] == pytest.approx(1.0)
    assert points[16] == pytest.approx(1.0 - 0.1 * 16 / 32)
    assert points[39] == pytest.approx(0.9)


def test_muse_lowers_top_candidate(qtbot, embedded_window):
    """SmolLM2's top logits are positive, so a damp below 1 lowers them; random weights promise nothing."""
    window = embedded_window
    panel = window.settings_panel
    panel.preset_bar.choose("Muse, no ramp")
    panel.damp.setValue(0.3)
    panel.max_tokens.setValue(6)
    type_story(window, STORY)
    seen = []
    window.host.worker.sig_token_generated.connect(lambda _job, _text, chart, _context: seen.append(chart))

    continue_and_wait(qtbot, window)

    first = seen[0]
    assert first.damp_factor == pytest.approx(0.3)
    top_before = max(range(len(first.labels)), key=lambda i: first.probabilities_before[i])
    assert first.probabilities_after[top_before] < first.probabilities_before[top_before]


def test_charts_refresh_slower_than_tokens(qtbot, window):
    window.settings_panel.max_tokens.setValue(60)
    type_story(window, STORY)
    window.charts.refresh_count = 0

    result = continue_and_wait(qtbot, window)
    elapsed_ms = result.generated_tokens / max(result.tokens_per_second, 1e-9) * 1000

    assert window.charts.refresh_count <= elapsed_ms / REFRESH_INTERVAL_MS + 5


def test_plain_sampling_shows_no_ramp(qtbot, window):
    window.settings_panel.preset_bar.choose("Plain sampling")
    window.settings_panel.max_tokens.setValue(4)
    type_story(window, STORY)

    continue_and_wait(qtbot, window)

    assert window.charts.damp.ramp == []


def test_ramp_may_rise(qtbot):
    from muse_desktop.app.muse_charts import DampChart

    chart = DampChart()
    qtbot.addWidget(chart)
    chart.set_plan(MuseSettings(top_k=3, damp=1.0, damp_initial=0.5, damp_ramp_tokens=10), 20)

    assert chart.ramp[0] == pytest.approx(0.5)
    assert chart.ramp[5] == pytest.approx(0.75)
    assert chart.ramp[19] == pytest.approx(1.0)


def test_chart_rows_keep_pushed_down_tokens():
    before = [0.05, 0.6, 0.3, 0.02, 0.01, 0.01, 0.01]
    after = [0.40, 0.1, 0.1, 0.20, 0.10, 0.05, 0.05]

    rows = chart_rows(before, after, 4)

    assert rows == [1, 2, 0, 3]


@pytest.mark.parametrize("token, label", [(" the", "·the"), ("\n", "⏎"), ("", "∅")])
def test_visible_token(token, label):
    assert visible_token(token) == label


def run_compare(qtbot, window):
    window.open_compare()
    dialog = window.compare_dialog
    dialog.generate()
    qtbot.waitUntil(lambda: all(side.result is not None for side in dialog.sides), timeout=GENERATION_TIMEOUT_MS)
    return dialog


def test_compare_uses_one_seed(qtbot, window):
    window.settings_panel.max_tokens.setValue(12)
    type_story(window, STORY)

    dialog = run_compare(qtbot, window)

    left, right = dialog.sides
    assert left.preset.currentText() == "Muse"
    assert right.preset.currentText() == "Plain sampling"
    assert left.result.seed == right.result.seed == dialog.seed
    assert left.result.generated_tokens <= 12
    assert right.result.generated_tokens <= 12
    assert left.output.toPlainText()
    assert right.output.toPlainText()
    assert left.keep.isEnabled()
    assert right.keep.isEnabled()
    dialog.close()


def test_compare_same_settings_same_text(qtbot, window):
    window.settings_panel.max_tokens.setValue(10)
    type_story(window, STORY)
    window.open_compare()
    window.compare_dialog.sides[1].preset.setCurrentText("Muse")
    dialog = window.compare_dialog
    dialog.generate()
    qtbot.waitUntil(lambda: all(side.result is not None for side in dialog.sides), timeout=GENERATION_TIMEOUT_MS)

    assert dialog.sides[0].output.toPlainText() == dialog.sides[1].output.toPlainText()
    dialog.close()


def test_compare_keep_inserts_and_undo_removes(qtbot, window):
    window.settings_panel.max_tokens.setValue(8)
    type_story(window, STORY)
    window.editor.document().clearUndoRedoStacks()
    dialog = run_compare(qtbot, window)
    kept = dialog.sides[1].output.toPlainText()

    dialog.keep(1)

    assert window.editor.toPlainText() == STORY + kept
    assert window.compare_dialog is None or not window.compare_dialog.isVisible()
    window.editor.undo()
    assert window.editor.toPlainText() == STORY


def test_compare_stop_cancels_both(qtbot, window):
    window.settings_panel.max_tokens.setValue(3000)
    type_story(window, STORY)
    window.open_compare()
    dialog = window.compare_dialog
    dialog.generate()
    qtbot.waitUntil(lambda: len(dialog.sides[0].output.toPlainText()) > 3, timeout=GENERATION_TIMEOUT_MS)

    dialog.stop()
    qtbot.waitUntil(lambda: not window.host.busy, timeout=GENERATION_TIMEOUT_MS)

    assert dialog.sides[0].result.finish_reason == "cancelled"
    assert dialog.sides[1].result is None
    dialog.close()


def test_damp_chart_before_any_generation(qtbot):
    from muse_desktop.app.muse_charts import DampChart

    chart = DampChart()
    qtbot.addWidget(chart)
    assert not chart.planned

    chart.set_plan(None, 64)
    assert chart.planned
    assert chart.ramp == []

    chart.set_plan(MuseSettings(), 64)
    assert chart.ramp[0] == 1.0
    assert chart.ramp[40] == 0.9
