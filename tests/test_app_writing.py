"""Continue, Stop, Regenerate and Undo in the real main window with the real engine."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from app_support import (  # noqa: F401
    GENERATION_TIMEOUT_MS,
    continue_and_wait,
    data_dir,
    embedded_window,
    standin_model,
    type_story,
    window,
)
from muse_desktop.engine import FinishReason

STORY = "The lighthouse keeper found a letter in the sand."


def test_continue_appends_text(qtbot, window):
    window.settings_panel.max_tokens.setValue(12)
    type_story(window, STORY)
    context_counts = []
    window.continuation.sig_progress.connect(lambda _tokens, _speed, context: context_counts.append(context))

    result = continue_and_wait(qtbot, window)

    text = window.editor.toPlainText()
    assert text.startswith(STORY)
    assert len(text) > len(STORY)
    assert result.generated_tokens == 12
    assert result.finish_reason == FinishReason.LENGTH
    assert window.editor.continuation_text() == text[len(STORY):]
    assert not window.editor.isReadOnly()
    assert window.status.context.text() == f"context {result.prompt_tokens + 12} / {window.model_info.n_ctx}"
    # Each token is counted when it is fed back, after the event that carries it.
    assert context_counts == list(range(result.prompt_tokens, result.prompt_tokens + 12))


def test_ctrl_enter_starts_continuation(qtbot, window):
    window.settings_panel.max_tokens.setValue(4)
    type_story(window, STORY)
    window.editor.setFocus()

    with qtbot.waitSignal(window.continuation.sig_finished, timeout=GENERATION_TIMEOUT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    assert len(window.editor.toPlainText()) > len(STORY)


def test_continue_from_cursor_mid_document(qtbot, window):
    window.settings_panel.max_tokens.setValue(6)
    window.editor.setPlainText("First part. Second part.")
    cursor = window.editor.textCursor()
    cursor.setPosition(len("First part."))
    window.editor.setTextCursor(cursor)

    continue_and_wait(qtbot, window)

    text = window.editor.toPlainText()
    inserted = window.editor.continuation_text()
    assert text == "First part." + inserted + " Second part."
    assert inserted


def test_stop_ends_generation_early(qtbot, window):
    window.settings_panel.max_tokens.setValue(2000)
    type_story(window, STORY)

    with qtbot.waitSignal(window.continuation.sig_finished, timeout=GENERATION_TIMEOUT_MS) as blocker:
        window.continue_action.trigger()
        qtbot.waitUntil(lambda: window.continuation.running is not None and window.continuation.running.tokens >= 3,
                        timeout=GENERATION_TIMEOUT_MS)
        qtbot.keyClick(window, Qt.Key.Key_Escape)

    result = blocker.args[0]
    assert result.finish_reason == FinishReason.CANCELLED
    assert result.generated_tokens < 2000
    assert window.continue_action.isEnabled()
    assert not window.stop_action.isEnabled()


def test_undo_removes_whole_continuation(qtbot, window):
    window.settings_panel.max_tokens.setValue(16)
    type_story(window, STORY)
    window.editor.document().clearUndoRedoStacks()

    continue_and_wait(qtbot, window)
    assert window.editor.toPlainText() != STORY

    window.undo_action.trigger()

    assert window.editor.toPlainText() == STORY
    assert window.editor.continuation_range() is None


def test_regenerate_replaces_with_new_seed(qtbot, window):
    window.settings_panel.max_tokens.setValue(10)
    type_story(window, STORY)
    first = continue_and_wait(qtbot, window)
    first_text = window.editor.continuation_text()

    second = continue_and_wait(qtbot, window, window.continuation.regenerate)

    text = window.editor.toPlainText()
    assert second.seed != first.seed
    assert text == STORY + window.editor.continuation_text()
    assert window.editor.continuation_text() != first_text


def test_regenerate_with_fixed_seed_repeats_text(qtbot, window):
    panel = window.settings_panel
    panel.max_tokens.setValue(10)
    panel.fixed_seed.setChecked(True)
    panel.seed.setText("1234")
    type_story(window, STORY)
    continue_and_wait(qtbot, window)
    first_text = window.editor.continuation_text()

    result = continue_and_wait(qtbot, window, window.regenerate_action.trigger)

    assert result.seed == 1234
    assert window.editor.continuation_text() == first_text
    assert window.editor.toPlainText() == STORY + first_text


def test_regenerate_then_undo_restores_original(qtbot, window):
    window.settings_panel.max_tokens.setValue(8)
    type_story(window, STORY)
    window.editor.document().clearUndoRedoStacks()
    continue_and_wait(qtbot, window)
    continue_and_wait(qtbot, window, window.continuation.regenerate)

    window.editor.undo()

    assert window.editor.toPlainText() == STORY


def test_editing_clears_mark_and_regenerate(qtbot, window):
    window.settings_panel.max_tokens.setValue(6)
    type_story(window, STORY)
    continue_and_wait(qtbot, window)
    assert window.editor.extraSelections()

    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(window.editor, " Then")

    assert window.editor.extraSelections() == []
    assert not window.regenerate_action.isEnabled()
    assert window.editor.toPlainText().endswith(" Then")


def test_editor_read_only_while_generating(qtbot, window):
    window.settings_panel.max_tokens.setValue(400)
    type_story(window, STORY)
    with qtbot.waitSignal(window.continuation.sig_finished, timeout=GENERATION_TIMEOUT_MS):
        window.continue_action.trigger()
        assert window.editor.isReadOnly()
        assert not window.continue_action.isEnabled()
        assert not window.open_action.isEnabled()
        assert not window.new_action.isEnabled()
        window.stop_action.trigger()
    assert not window.editor.isReadOnly()


def test_instruction_mode_needs_instruction(qtbot, window):
    window.mode_bar.instruction_button.setChecked(True)

    started = window.continuation.continue_story()

    assert started is False
    assert "instruction" in window.mode_bar.message.text()
    assert window.mode_bar.message.isVisibleTo(window)


def test_instruction_mode_writes_answer(qtbot, window):
    window.settings_panel.max_tokens.setValue(8)
    window.mode_bar.instruction_button.setChecked(True)
    window.mode_bar.instruction.setText("Write a story about polar bears")
    type_story(window, "")

    result = continue_and_wait(qtbot, window)

    assert result.prompt_tokens > 5  # the instruction in RedPajama's chat format
    assert window.editor.toPlainText() == window.editor.continuation_text()


def test_instruction_mode_uses_chat_template(qtbot, embedded_window):
    window = embedded_window
    window.settings_panel.max_tokens.setValue(24)
    window.mode_bar.instruction_button.setChecked(True)
    window.mode_bar.instruction.setText("Write a story about polar bears")
    type_story(window, "")

    result = continue_and_wait(qtbot, window)

    text = window.editor.toPlainText()
    assert "template" in window.model_panel.prompt_format.text()
    assert result.generated_tokens > 0
    assert text.strip()
    assert result.prompt_tokens >= 10  # the instruction wrapped in SmolLM2's ChatML template
    assert "<|im_start|>" not in text
    assert "<|im_end|>" not in text


def test_offload_failure_is_reported(window):
    info = replace(window.model_info, offload_failed=True, n_gpu_layers=0, backend="CPU")

    window._on_model_loaded(info)

    assert not window.model_panel.notice.isHidden()
    assert "runs on the CPU" in window.model_panel.notice.text()
    assert "GPU offload failed" in window.status.currentMessage()
