"""The settings panel: presets, tooltips, and values that are invalid or unwise."""

from __future__ import annotations

import json

import pytest

from app_support import data_dir, standin_model, window  # noqa: F401
from muse_desktop.app.presets import BUILT_IN_PRESETS, PresetError, PresetStore
from muse_desktop.app.settings_panel import SettingsPanel
from muse_desktop.app.writing_settings import MUSE_NO_RAMP_PRESET, PLAIN_PRESET, WritingSettings
from muse_desktop.sampling import MuseSettings


@pytest.fixture
def panel(qtbot, tmp_path):
    widget = SettingsPanel(PresetStore(tmp_path / "presets.json"))
    qtbot.addWidget(widget)
    return widget


def test_panel_starts_with_muse_preset(panel):
    settings = panel.settings()

    assert panel.preset_bar.current_name() == "Muse"
    assert settings.sampler.muse == MuseSettings(top_k=3, damp=0.9, damp_initial=1.0, damp_ramp_tokens=32)
    assert settings.sampler.seed is None


@pytest.mark.parametrize("name, expected", [
    ("Muse, no ramp", MUSE_NO_RAMP_PRESET),
    ("Plain sampling", PLAIN_PRESET),
])
def test_choosing_built_in_preset(panel, name, expected):
    panel.preset_bar.choose(name)

    assert panel.settings() == expected
    assert panel.muse_group.isChecked() == (expected.sampler.muse is not None)
    assert panel.preset_bar.modified_label.text() == ""


def test_editing_marks_preset_modified(panel):
    panel.temperature.setValue(1.1)

    assert panel.preset_bar.modified_label.text() == "(modified)"
    assert panel.settings().sampler.temperature == pytest.approx(1.1)


def test_every_control_has_tooltip(panel):
    controls = [panel.temperature, panel.top_k, panel.top_p, panel.min_p, panel.repeat_penalty, panel.seed,
                panel.max_tokens, panel.muse_group, panel.muse_top_k, panel.damp, panel.damp_initial,
                panel.damp_ramp_tokens]
    for control in controls:
        assert len(control.toolTip()) > 20, control


def test_tooltips_explain_the_muse(panel):
    assert "1/temperature" in panel.damp.toolTip()
    assert "single digits" in panel.muse_top_k.toolTip()
    assert "0 jumps straight" in panel.damp_ramp_tokens.toolTip()
    assert "other way" in panel.damp_initial.toolTip()


def test_spin_boxes_reject_out_of_range_values(panel):
    panel.top_p.setValue(0.0)
    panel.repeat_penalty.setValue(-1.0)
    panel.temperature.setValue(99.0)

    settings = panel.settings()
    assert settings.sampler.top_p == pytest.approx(0.01)
    assert settings.sampler.repeat_penalty == pytest.approx(0.05)
    assert settings.sampler.temperature == pytest.approx(5.0)


def test_fixed_seed_without_value_is_explained(panel):
    panel.fixed_seed.setChecked(True)
    panel.seed.setText("")

    assert panel.settings() is None
    assert "Enter a seed" in panel.seed_message.text()
    assert not panel.seed_message.isHidden()


def test_seed_above_64_bits_is_explained(panel):
    panel.fixed_seed.setChecked(True)
    panel.seed.setText(str(2**64))

    assert panel.settings() is None
    assert "at most" in panel.seed_message.text()


def test_seed_field_accepts_only_digits(qtbot, panel):
    panel.fixed_seed.setChecked(True)
    panel.seed.clear()
    qtbot.keyClicks(panel.seed, "12a-3")

    assert panel.seed.text() == "123"
    assert panel.settings().sampler.seed == 123


def test_large_muse_top_k_gets_advice(panel):
    panel.muse_top_k.setValue(20)

    assert "single digits" in panel.muse_top_k_message.text()
    assert panel.settings().sampler.muse.top_k == 20


def test_invalid_seed_disables_continue(qtbot, window):
    window.settings_panel.fixed_seed.setChecked(True)
    window.settings_panel.seed.setText("")

    assert not window.continue_action.isEnabled()
    assert window.continuation.continue_story() is False

    window.settings_panel.seed.setText("7")
    assert window.continue_action.isEnabled()


def test_save_rename_delete_user_preset(panel, tmp_path):
    bar = panel.preset_bar
    panel.temperature.setValue(1.3)
    bar.ask_name = lambda title, label, default: "Wild"
    bar.save_current()
    assert bar.current_name() == "Wild"
    assert "Wild" in PresetStore(tmp_path / "presets.json").names()

    bar.ask_name = lambda title, label, default: "Wilder"
    bar.rename_current()
    names = PresetStore(tmp_path / "presets.json").names()
    assert "Wilder" in names
    assert "Wild" not in names

    bar.delete_current()
    assert "Wilder" not in PresetStore(tmp_path / "presets.json").names()
    assert bar.current_name() == "Muse"


def test_built_in_presets_cannot_change(panel):
    bar = panel.preset_bar
    bar.choose("Plain sampling")

    assert not bar.rename_button.isEnabled()
    assert not bar.delete_button.isEnabled()
    bar.ask_name = lambda title, label, default: "Muse"
    bar.save_current()
    assert "built-in" in bar.message.text()


def test_preset_name_rules(tmp_path):
    store = PresetStore(tmp_path / "presets.json")
    for bad_name in ("", "   ", "x" * 61, "Muse"):
        with pytest.raises(PresetError):
            store.save(bad_name, WritingSettings())
    store.save("A", WritingSettings())
    store.save("B", WritingSettings())
    with pytest.raises(PresetError, match="already exists"):
        store.rename("A", "B")


def test_invalid_presets_file_keeps_valid_entries(tmp_path):
    path = tmp_path / "presets.json"
    good = WritingSettings(max_tokens=99).to_dict()
    path.write_text(json.dumps({"Good": good, "Bad": {"sampler": {"temperature": -1}}, "Odd": 5}), encoding="utf-8")

    store = PresetStore(path)

    assert store.names() == list(BUILT_IN_PRESETS) + ["Good"]
    assert store.get("Good").max_tokens == 99


def test_unreadable_presets_file_is_ignored(tmp_path):
    path = tmp_path / "presets.json"
    path.write_bytes(b"\xff\xfe not json")

    assert PresetStore(path).names() == list(BUILT_IN_PRESETS)


def test_fixing_seed_keeps_last_seed(panel):
    panel.show_last_seed(987654321)

    panel.fixed_seed.setChecked(True)

    assert panel.seed.text() == "987654321"
    assert panel.settings().sampler.seed == 987654321
