"""Is a JSON file well-formed? Checked in bounded memory, with the json module's verdicts and positions.

`json.loads` of the release's JSON-LD needs several times the file's size in memory (gigabytes for
10,000 documents). `JsonScanner` is fed text in chunks: every value that fits in a window (a document,
a node) is parsed by json's C scanner and dropped at once; only the containers larger than the window
(the top-level object, its big arrays) are walked here, one token at a time. Memory is the window plus
the largest single string, whatever the file's size. `FastJsonChecker` puts orjson in front of it for
the long arrays of pretty-printed files (5 times the speed), without changing a verdict.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass

WINDOW = 1 << 20  # containers larger than this (in characters) are walked instead of parsed whole
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER_START = frozenset("-0123456789")
# How close to the end of the buffer an error may be caused by the buffer's end rather than the text
# (a literal, a number or a \uXXXX\uXXXX escape cut in two).
_TAIL = 16
_LINE = 4096  # the start of the current line is kept (for its indentation) when it is at most this far back


class _Constant(ValueError):
    """NaN, Infinity and -Infinity: Python's json reads them, JSON (RFC 8259) has no such values."""


def _reject_constant(name: str) -> None:
    raise _Constant(name)


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_SCAN = _DECODER.scan_once
_SCANSTRING = json.decoder.scanstring


@dataclass(frozen=True)
class JsonSyntaxError(Exception):
    message: str
    line: int  # 1-based
    column: int  # 1-based, in characters

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})"


# Parser states: what may come next.
_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE, _COLON, _COMMA_OR_CLOSE, _END = range(7)


class JsonScanner:
    """Feed text with `feed`, then call `close`; both raise JsonSyntaxError at the first error."""

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self._buf = ""
        self._pos = 0
        self._stack: list[str] = []  # open containers walked here: "{" or "["
        self._state = _VALUE
        self._lines = 0  # newlines in the text already dropped from the buffer
        self._column = 0  # characters after the last dropped newline
        self._need = 0  # characters after the position needed before a value that did not fit is tried again

    def feed(self, text: str, force: bool = False) -> None:
        """More text; `force`: try a value that did not fit again now (the caller knows it is complete)."""
        if self._pos:
            self._drop()
        self._buf += text
        if force or len(self._buf) >= self._need:
            self._run(final=False)

    # What `FastJsonChecker` needs: where the scanner is, and a way to step over text checked elsewhere.

    def between_elements(self) -> bool:
        """Inside an array, every element so far consumed: the next text starts with an element."""
        return (
            bool(self._stack)
            and self._stack[-1] == "["
            and self._state in (_VALUE, _VALUE_OR_CLOSE)
            and (self._pos == len(self._buf))
        )

    def element_indent(self) -> str | None:
        """The indentation of the array element the scanner waits to complete, if it starts a line."""
        if not (self._stack and self._stack[-1] == "[" and self._state in (_VALUE, _VALUE_OR_CLOSE)):
            return None
        start = self._buf.rfind("\n", 0, self._pos) + 1
        indent = self._buf[start : self._pos]
        return indent if start and not indent.strip(" \t") else None

    def skip(self, newlines: int, tail: int) -> None:
        """Step over `, `-terminated elements checked elsewhere: `newlines` in them, `tail` characters after the last."""
        assert self.between_elements()
        self._drop_before()  # all of it: the skipped text comes after what is left
        if newlines:
            self._lines += newlines
            self._column = tail
        else:
            self._column += tail
        self._state = _VALUE  # after a comma: another element must follow

    def close(self) -> None:
        self._run(final=True)
        if self._state != _END:
            raise self._error("Unexpected end of the file", len(self._buf))

    # ------------------------------------------------------------ internals

    def _drop(self) -> None:
        """Forget the text before the current position (or its line: see element_indent), counting lines."""
        line = self._buf.rfind("\n", 0, self._pos) + 1
        if line and self._pos - line <= _LINE:
            self._pos, keep = line, self._pos - line
        else:
            keep = 0
        self._drop_before()
        self._pos = keep

    def _drop_before(self) -> None:
        done = self._buf[: self._pos]
        newlines = done.count("\n")
        if newlines:
            self._lines += newlines
            self._column = len(done) - done.rindex("\n") - 1
        else:
            self._column += len(done)
        self._buf = self._buf[self._pos :]
        self._pos = 0

    def _error(self, message: str, pos: int) -> JsonSyntaxError:
        before = self._buf[:pos]
        newlines = before.count("\n")
        if newlines:
            return JsonSyntaxError(message, self._lines + newlines + 1, pos - before.rindex("\n"))
        return JsonSyntaxError(message, self._lines + 1, self._column + pos + 1)

    def _after_value(self) -> None:
        self._state = _COMMA_OR_CLOSE if self._stack else _END

    def _run(self, final: bool) -> None:
        self._need = 0
        buf = self._buf
        end = len(buf)
        while True:
            pos = _WS.match(buf, self._pos).end()
            self._pos = pos
            if pos == end:
                return
            char = buf[pos]
            state = self._state
            if state == _END:
                raise self._error("Extra data after the JSON value", pos)
            if state in (_VALUE, _VALUE_OR_CLOSE) and not (state == _VALUE_OR_CLOSE and char == "]"):
                if not self._value(buf, pos, char, final):
                    return
            elif state in (_VALUE_OR_CLOSE, _KEY_OR_CLOSE, _COMMA_OR_CLOSE) and char in "]}":
                if not self._stack or char != {"{": "}", "[": "]"}[self._stack[-1]]:
                    raise self._error(f"Unexpected {char!r}", pos)
                self._stack.pop()
                self._pos = pos + 1
                self._after_value()
            elif state in (_KEY, _KEY_OR_CLOSE):
                if char != '"':
                    raise self._error("Expecting property name enclosed in double quotes", pos)
                try:
                    _, self._pos = _SCANSTRING(buf, pos + 1, True)
                except json.JSONDecodeError as exc:
                    if not final and (exc.msg.startswith("Unterminated string") or exc.pos >= end - _TAIL):
                        return  # the key may go on in the next chunk
                    raise self._error(exc.msg, exc.pos) from None
                self._state = _COLON
            elif state == _COLON:
                if char != ":":
                    raise self._error("Expecting ':' delimiter", pos)
                self._pos = pos + 1
                self._state = _VALUE
            elif state == _COMMA_OR_CLOSE:
                if char != ",":
                    raise self._error("Expecting ',' delimiter", pos)
                self._pos = pos + 1
                self._state = _KEY if self._stack[-1] == "{" else _VALUE
            else:
                raise self._error(f"Unexpected {char!r}", pos)

    def _value(self, buf: str, pos: int, char: str, final: bool) -> bool:
        """Consume one value at pos; False when more text is needed first."""
        end = len(buf)
        try:
            _, stop = _SCAN(buf, pos)
        except StopIteration as exc:
            error_pos, message = exc.value, "Expecting value"
        except json.JSONDecodeError as exc:
            error_pos, message = exc.pos, exc.msg
        except _Constant as exc:
            raise self._error(f"{exc} is not a JSON value", pos) from None
        else:
            if char in _NUMBER_START and stop > end - _TAIL and not final:
                self._need = end - pos + 1  # "12", "1.", "1e" may go on in the next chunk
                return False
            self._pos = stop
            self._after_value()
            return True
        cut = error_pos >= end - _TAIL or message.startswith("Unterminated string")
        if final or not cut:
            if error_pos == end:
                message = "Unexpected end of the file"
            raise self._error(message, error_pos)
        if char in "{[" and end - pos >= self.window:
            # Too big to parse whole: walk this container, parse its members.
            self._stack.append(char)
            self._pos = pos + 1
            self._state = _KEY_OR_CLOSE if char == "{" else _VALUE_OR_CLOSE
            return True
        # Try again once the buffer holds twice as much of this value: linear, not quadratic.
        self._need = 2 * (end - pos)
        return False


def check_text(text: str, window: int = WINDOW) -> None:
    """Whole text at once (tests); raises JsonSyntaxError."""
    scanner = JsonScanner(window)
    scanner.feed(text)
    scanner.close()


# ---------------------------------------------------------------- fast path: whole runs of array elements

BATCH = 1 << 21  # bytes of array elements handed to orjson at once
_SPACE = re.compile(rb"[ \t\r\n]*")


class FastJsonChecker:
    """JsonScanner behind a fast path for the long arrays of pretty-printed JSON: bytes in, same verdicts.

    When the scanner stands between two elements of an array, the bytes that follow are cut before the
    last `,\\n<indent>` (a comma ending a line, the next line at the elements' indentation) and the run
    of elements before it is parsed by orjson as `[...]`. That is sound whatever the cut: if orjson
    reads `[run]` as an array, the run is a list of whole JSON values, so the scanner may step over it
    and its comma. When orjson does not accept the run (a wrong cut, an integer beyond 64 bits, a real
    error), the scanner reads it itself, so the verdict and error positions are the json module's.
    Text other than UTF-8 (orjson reads UTF-8 only) goes to the scanner alone.
    """

    def __init__(self, encoding: str = "utf-8", window: int = WINDOW, batch: int = BATCH) -> None:
        import orjson  # a dependency; imported here so that `datapkg --help` stays fast

        self._loads = orjson.loads
        self._error = orjson.JSONDecodeError
        self.scanner = JsonScanner(window)
        self.batch = batch
        self._utf8 = codecs.lookup(encoding).name == "utf-8"
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._raw = b""

    def feed(self, data: bytes) -> None:
        if not self._utf8:
            self.scanner.feed(self._decoder.decode(data))
            return
        self._raw += data
        self._advance(final=False)

    def close(self) -> None:
        self._advance(final=True)
        self.scanner.feed(self._decoder.decode(b"", final=True))
        self.scanner.close()

    def _give(self, end: int, force: bool = False) -> None:
        """Hand the first `end` bytes to the scanner."""
        self.scanner.feed(self._decoder.decode(self._raw[:end]), force=force)
        self._raw = self._raw[end:]

    def _advance(self, final: bool) -> None:
        while self._raw:
            raw = self._raw
            if self.scanner.between_elements():
                space = _SPACE.match(raw).end()  # type: ignore[union-attr]
                line = raw.rfind(b"\n", 0, space)
                if space == len(raw) and not final:
                    return  # only whitespace so far
                if line < 0:  # the elements do not start lines: no cut to make
                    self._give(len(raw))
                    continue
                cut = self._last_cut(raw, b",\n" + raw[line + 1 : space], space + 1)  # at least one value
                if cut is None:
                    if len(raw) < self.batch and not final:
                        return  # wait for the end of an element
                    self._give(len(raw))
                    continue
                try:
                    self._loads(b"[" + raw[:cut] + b"]")
                except self._error:
                    self._give(cut + 1, force=True)  # the scanner finds the error, or that the cut was wrong
                    continue
                done = raw[: cut + 1]
                newlines = done.count(b"\n")
                tail = done[done.rfind(b"\n") + 1 :].decode("utf-8") if newlines else done.decode("utf-8")
                self.scanner.skip(newlines, len(tail))
                self._raw = raw[cut + 1 :]
                continue
            indent = self.scanner.element_indent()
            if indent is not None:  # complete the pending element, then cut again
                cut = self._first_cut(raw, b",\n" + indent.encode("utf-8"))
                if cut is not None:
                    self._give(cut + 1, force=True)
                    continue
            if len(raw) < self.batch and not final:
                return
            self._give(len(raw))

    def _last_cut(self, raw: bytes, marker: bytes, start: int) -> int | None:
        """The last `,\\n<indent>` before `batch` bytes that is followed by an element (not deeper lines)."""
        end = min(len(raw), self.batch)
        while (at := raw.rfind(marker, start, end)) >= 0:
            after = at + len(marker)
            if after < len(raw) and raw[after] not in b" \t\r\n":
                return at
            end = at + len(marker) - 1
        return None

    def _first_cut(self, raw: bytes, marker: bytes) -> int | None:
        start = 0
        while (at := raw.find(marker, start)) >= 0:
            after = at + len(marker)
            if after >= len(raw):
                return None
            if raw[after] not in b" \t\r\n":
                return at
            start = at + 1
        return None
