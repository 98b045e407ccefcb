"""The choice between continuing the story and following an instruction."""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QRadioButton, QVBoxLayout, QWidget

STORY_MODE = "story"
INSTRUCTION_MODE = "instruction"


class ModeBar(QWidget):
    """Story mode continues the text as it is; instruction mode sends the instruction in the model's
    chat format, and the model's response becomes the story."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.story_button = QRadioButton("Continue the story")
        self.story_button.setToolTip("The model continues the text as it stands.")
        self.instruction_button = QRadioButton("Follow an instruction:")
        self.instruction_button.setToolTip("The instruction goes to the model in its chat format, "
                                           "and its answer is written into the story.")
        self.instruction = QLineEdit()
        self.instruction.setPlaceholderText("Write a story about polar bears")
        self.message = QLabel()
        self.message.setStyleSheet("color: #b3261e;")
        self.message.hide()
        group = QButtonGroup(self)
        group.addButton(self.story_button)
        group.addButton(self.instruction_button)
        self.story_button.setChecked(True)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.story_button)
        row.addWidget(self.instruction_button)
        row.addWidget(self.instruction, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.instruction_button.toggled.connect(self._on_mode_changed)
        self.instruction.textChanged.connect(lambda: self.show_message(""))
        self._on_mode_changed(False)

    def mode(self) -> str:
        return INSTRUCTION_MODE if self.instruction_button.isChecked() else STORY_MODE

    def set_mode(self, mode: str, instruction: str = "") -> None:
        self.instruction.setText(instruction)
        (self.instruction_button if mode == INSTRUCTION_MODE else self.story_button).setChecked(True)

    def show_message(self, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(bool(message))

    def _on_mode_changed(self, instruction_mode: bool) -> None:
        self.instruction.setEnabled(instruction_mode)
        self.show_message("")
