"""The story editor: a plain-text editor that streams continuations in and marks them."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

GENERATED_BACKGROUND = QColor("#fff1c2")
PARAGRAPH_SEPARATOR = "\u2029"


class StoryEditor(QPlainTextEdit):
    """A plain-text editor that can insert a continuation as one undoable step.

    Inserted text is highlighted with an extra selection, which is not part of the document,
    so the highlight never reaches the undo stack or the saved file. The highlight goes away
    as soon as the document changes other than by ``append_continuation``.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFont("Serif")
        font.setStyleHint(QFont.StyleHint.Serif)
        font.setPointSize(12)
        self.setFont(font)
        self.setPlaceholderText("Write the beginning of a story, then press Ctrl+Enter to continue it.")
        self._inserting = False
        self._start: int | None = None
        self._end: int | None = None
        self.document().contentsChange.connect(self._on_contents_change)

    def insertion_position(self) -> int:
        """Return where a continuation goes: the end of the selection, or the cursor."""
        cursor = self.textCursor()
        return cursor.selectionEnd() if cursor.hasSelection() else cursor.position()

    def text_before(self, position: int) -> str:
        """Return the text from the start of the story to ``position`` (a Qt document position)."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace(PARAGRAPH_SEPARATOR, "\n")

    def begin_continuation(self, position: int) -> None:
        self._start = self._end = position
        self._refresh_highlight()

    def append_continuation(self, text: str) -> None:
        """Insert ``text`` at the end of the current continuation, merged into one undo step."""
        if not text or self._end is None:
            return
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._end)
        first_piece = self._end == self._start
        self._inserting = True
        try:
            if first_piece:
                cursor.beginEditBlock()
            else:
                cursor.joinPreviousEditBlock()
            cursor.insertText(text)
            cursor.endEditBlock()
        finally:
            self._inserting = False
        self._end = cursor.position()
        self._refresh_highlight()
        view_cursor = self.textCursor()
        view_cursor.setPosition(self._end)
        self.setTextCursor(view_cursor)
        self.ensureCursorVisible()

    def continuation_range(self) -> tuple[int, int] | None:
        """Return (start, end) of the last continuation while it is still untouched, else None."""
        if self._start is None or self._end is None or self._start == self._end:
            return None
        return self._start, self._end

    def continuation_text(self) -> str:
        span = self.continuation_range()
        if span is None:
            return ""
        cursor = QTextCursor(self.document())
        cursor.setPosition(span[0])
        cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace(PARAGRAPH_SEPARATOR, "\n")

    def remove_continuation(self) -> int | None:
        """Remove the last continuation; return where it started, or None when there is none.

        The continuation is undone when it is the newest undo step, so a later Undo cannot bring
        back the discarded text. Otherwise its range is deleted.
        """
        span = self.continuation_range()
        if span is None:
            return None
        start, end = span
        document = self.document()
        expected = self.text_before(start) + self._text_after(end)
        self._inserting = True
        try:
            document.undo()
            if self.toPlainText() != expected:
                document.redo()
                cursor = QTextCursor(document)
                cursor.setPosition(start)
                cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
        finally:
            self._inserting = False
        self._start = self._end = start
        self._refresh_highlight()
        return start

    def _text_after(self, position: int) -> str:
        cursor = QTextCursor(self.document())
        cursor.setPosition(position)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace(PARAGRAPH_SEPARATOR, "\n")

    def forget_continuation(self) -> None:
        self._start = self._end = None
        self._refresh_highlight()

    def _on_contents_change(self, _position: int, _removed: int, _added: int) -> None:
        if not self._inserting and self._start is not None:
            self.forget_continuation()

    def _refresh_highlight(self) -> None:
        span = self.continuation_range()
        if span is None:
            self.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        selection.cursor = QTextCursor(self.document())
        selection.cursor.setPosition(span[0])
        selection.cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        char_format = QTextCharFormat()
        char_format.setBackground(GENERATED_BACKGROUND)
        selection.format = char_format
        self.setExtraSelections([selection])
