"""The sampler and Muse controls, the presets, and the messages that explain invalid values."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from muse_desktop.app import tooltips
from muse_desktop.app.preset_bar import PresetBar
from muse_desktop.app.presets import PresetStore
from muse_desktop.app.writing_settings import MAX_TOKENS_LIMIT, WritingSettings
from muse_desktop.sampling import MuseSettings, SamplerSettings
from muse_desktop.sampling.settings import MAX_SEED

logger = logging.getLogger(__name__)

# Above this the Muse damps so many tokens that it behaves like plain temperature.
MUSE_TOP_K_ADVICE_LIMIT = 9


def _double_spin(minimum: float, maximum: float, step: float, decimals: int, tooltip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(minimum, maximum)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setToolTip(tooltip)
    spin.setKeyboardTracking(False)
    return spin


def _int_spin(minimum: int, maximum: int, tooltip: str, special: str | None = None) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, maximum)
    spin.setToolTip(tooltip)
    spin.setKeyboardTracking(False)
    if special:
        spin.setSpecialValueText(special)
    return spin


def _message_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #b3261e;")
    label.hide()
    return label


class SettingsPanel(QWidget):
    """Controls for every sampler parameter, with a preset bar on top.

    Spin box ranges make most invalid values impossible to enter. The seed, which can exceed
    what a spin box holds, and advice such as a large Muse top_k, are explained in a label
    next to the field.

    Signals:
        sig_settings_changed(): any control changed; read ``settings()`` for the new value.
    """

    sig_settings_changed = Signal()

    def __init__(self, presets: PresetStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._applying = True  # no change signals while the controls are being built
        self.preset_bar = PresetBar(presets, self.settings)
        self._build_sampler_controls()
        self._build_muse_controls()
        layout = QVBoxLayout(self)
        layout.addWidget(self.preset_bar)
        layout.addWidget(self._sampler_group)
        layout.addWidget(self.muse_group)
        layout.addStretch(1)
        self.preset_bar.sig_preset_chosen.connect(self.apply_settings)
        self.apply_settings(presets.get(presets.names()[0]))

    def _build_sampler_controls(self) -> None:
        self.temperature = _double_spin(0.0, 5.0, 0.05, 2, tooltips.TEMPERATURE)
        self.top_k = _int_spin(0, 1000, tooltips.TOP_K, special="off")
        self.top_p = _double_spin(0.01, 1.0, 0.01, 2, tooltips.TOP_P)
        self.min_p = _double_spin(0.0, 1.0, 0.01, 2, tooltips.MIN_P)
        self.repeat_penalty = _double_spin(0.05, 5.0, 0.05, 2, tooltips.REPEAT_PENALTY)
        self.max_tokens = _int_spin(1, MAX_TOKENS_LIMIT, tooltips.MAX_TOKENS)
        self.fixed_seed = QCheckBox("Fixed")
        self.fixed_seed.setToolTip(tooltips.SEED)
        self.seed = QLineEdit()
        self.seed.setPlaceholderText("random")
        self.seed.setToolTip(tooltips.SEED)
        self.seed.setValidator(QRegularExpressionValidator(r"[0-9]{0,20}"))
        self.seed_message = _message_label()
        self.last_seed = QLabel()
        self.last_seed.setToolTip("The seed of the last continuation; tick Fixed to keep it.")

        seed_row = QHBoxLayout()
        seed_row.addWidget(self.fixed_seed)
        seed_row.addWidget(self.seed, 1)
        form = QFormLayout()
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-k", self.top_k)
        form.addRow("Top-p", self.top_p)
        form.addRow("Min-p", self.min_p)
        form.addRow("Repetition penalty", self.repeat_penalty)
        form.addRow("Seed", seed_row)
        form.addRow("", self.seed_message)
        form.addRow("", self.last_seed)
        form.addRow("Maximum tokens", self.max_tokens)
        self._sampler_group = QGroupBox("Sampler")
        self._sampler_group.setLayout(form)

        for spin in (self.temperature, self.top_k, self.top_p, self.min_p, self.repeat_penalty, self.max_tokens):
            spin.valueChanged.connect(self._on_changed)
        self.fixed_seed.toggled.connect(self._on_seed_mode_changed)
        self.seed.textChanged.connect(self._on_changed)
        self._on_seed_mode_changed(False)

    def _build_muse_controls(self) -> None:
        self.muse_group = QGroupBox("The Muse")
        self.muse_group.setCheckable(True)
        self.muse_group.setToolTip(tooltips.MUSE)
        self.muse_top_k = _int_spin(1, 100, tooltips.MUSE_TOP_K)
        self.damp = _double_spin(0.0, 5.0, 0.05, 2, tooltips.DAMP)
        self.damp_initial = _double_spin(0.0, 5.0, 0.05, 2, tooltips.DAMP_INITIAL)
        self.damp_ramp_tokens = _int_spin(0, MAX_TOKENS_LIMIT, tooltips.DAMP_RAMP_TOKENS, special="0 (no ramp)")
        self.muse_top_k_message = _message_label()
        self.muse_top_k_message.setStyleSheet("color: #8a5300;")

        form = QFormLayout(self.muse_group)
        form.addRow("Top-k", self.muse_top_k)
        form.addRow("", self.muse_top_k_message)
        form.addRow("Damp", self.damp)
        form.addRow("Damp initial", self.damp_initial)
        form.addRow("Ramp tokens", self.damp_ramp_tokens)
        for spin in (self.muse_top_k, self.damp, self.damp_initial, self.damp_ramp_tokens):
            spin.valueChanged.connect(self._on_changed)
        self.muse_group.toggled.connect(self._on_changed)

    def apply_settings(self, settings: WritingSettings) -> None:
        """Show ``settings`` in the controls."""
        self._applying = True
        try:
            sampler = settings.sampler
            self.temperature.setValue(sampler.temperature)
            self.top_k.setValue(sampler.top_k)
            self.top_p.setValue(sampler.top_p)
            self.min_p.setValue(sampler.min_p)
            self.repeat_penalty.setValue(sampler.repeat_penalty)
            self.max_tokens.setValue(settings.max_tokens)
            self.fixed_seed.setChecked(sampler.seed is not None)
            self.seed.setText("" if sampler.seed is None else str(sampler.seed))
            self.muse_group.setChecked(sampler.muse is not None)
            muse = sampler.muse or MuseSettings()
            self.muse_top_k.setValue(muse.top_k)
            self.damp.setValue(muse.damp)
            self.damp_initial.setValue(muse.damp_initial)
            self.damp_ramp_tokens.setValue(muse.damp_ramp_tokens)
        finally:
            self._applying = False
        self._on_changed()

    def settings(self) -> WritingSettings | None:
        """Return the settings in the controls, or None while a field contains an invalid value."""
        seed = self._seed_value()
        if seed is False:
            return None
        muse = None
        if self.muse_group.isChecked():
            muse = MuseSettings(
                top_k=self.muse_top_k.value(),
                damp=self.damp.value(),
                damp_initial=self.damp_initial.value(),
                damp_ramp_tokens=self.damp_ramp_tokens.value(),
            )
        sampler = SamplerSettings(
            temperature=self.temperature.value(),
            top_k=self.top_k.value(),
            top_p=self.top_p.value(),
            min_p=self.min_p.value(),
            repeat_penalty=self.repeat_penalty.value(),
            muse=muse,
            seed=seed,
        )
        return WritingSettings(sampler, self.max_tokens.value())

    def show_last_seed(self, seed: int) -> None:
        self.last_seed.setText(f"Last seed: {seed}")
        if not self.fixed_seed.isChecked():
            self.seed.setPlaceholderText(f"random (last: {seed})")

    def _seed_value(self) -> int | None | bool:
        """Return the fixed seed, None for a random one, or False when the field is invalid."""
        if not self.fixed_seed.isChecked():
            return None
        text = self.seed.text().strip()
        if not text:
            return False
        value = int(text)
        return value if value <= MAX_SEED else False

    def _on_seed_mode_changed(self, fixed: bool) -> None:
        self.seed.setEnabled(fixed)
        if fixed and not self.seed.text() and self.last_seed.text():
            self.seed.setText(self.last_seed.text().rsplit(" ", 1)[-1])
        self._on_changed()

    def _on_changed(self) -> None:
        if self._applying:
            return
        self._update_messages()
        self.preset_bar.mark_modified(self.settings())
        self.sig_settings_changed.emit()

    def _update_messages(self) -> None:
        seed_text = self.seed.text().strip()
        if self.fixed_seed.isChecked() and not seed_text:
            self._show(self.seed_message, "Enter a seed, or untick Fixed for a random one.")
        elif self.fixed_seed.isChecked() and int(seed_text) > MAX_SEED:
            self._show(self.seed_message, f"The seed must be at most {MAX_SEED} (2^64 - 1).")
        else:
            self._show(self.seed_message, "")
        if self.muse_group.isChecked() and self.muse_top_k.value() > MUSE_TOP_K_ADVICE_LIMIT:
            self._show(self.muse_top_k_message,
                       "Keep top-k in single digits: damping this many tokens is plain temperature.")
        else:
            self._show(self.muse_top_k_message, "")

    @staticmethod
    def _show(label: QLabel, message: str) -> None:
        label.setText(message)
        label.setVisible(bool(message))
