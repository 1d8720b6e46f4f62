"""Linear-time matching of several variables that share one path segment.

A rule such as ``/<a>.<b>.<int:c>`` as one regular expression misses a
long segment of dots in time that grows with its length squared (or
cubed with a fourth variable): the regex tries every end for ``a``, and for
each every end for ``b``, before ``c`` fails. :class:`Chain` gives the
same values in time linear in the segment, for variables whose regexes
are made of single characters, repeats of one character class and
alternatives of fixed words (every built-in converter, and most custom
ones): a pass from the right marks, for each part, where the rest can
still match; a pass from the left then takes at each part the choice the
regex would try first among those that lead to a match. That is the
regex's own answer, found without going back.
"""

from __future__ import annotations

import importlib
import re
import typing as t

__all__ = ["Chain", "chain_parts", "may_backtrack"]

#: A part of a chain: (0, runs of its class, least, most, greedy, chars)
#: for a repeat of one character class (``chars``: the class's characters
#: when it lists them one by one, else None; ``most`` -1 for no limit),
#: (1, words) for fixed alternatives.
Part = tuple[t.Any, ...]

#: Text up to the length whose power (the number of repeats of varying
#: length) is this is matched with the regex (see :meth:`Chain.fullmatch`).
SHORT_WORK = 2**14

_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
}
_SINGLE = frozenset(("LITERAL", "NOT_LITERAL", "ANY", "IN"))


def _parser() -> t.Any:
    try:
        return importlib.import_module("re._parser")  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        return importlib.import_module("sre_parse")


def _char(code: int) -> str:
    return f"\\U{code:08x}"


def _class_source(op: str, av: t.Any) -> str | None:
    """The regex of one character for a parsed one-character item, else None."""
    if op == "LITERAL":
        return _char(av)
    if op == "NOT_LITERAL":
        return f"[^{_char(av)}]"
    if op == "ANY":
        return "."  # compiled with DOTALL, as the rule's own regex is
    if op != "IN":
        return None
    pieces: list[str] = []
    for item_op, item in av:
        name = str(item_op)
        if name == "NEGATE" and not pieces:
            pieces.append("^")
        elif name == "LITERAL":
            pieces.append(_char(item))
        elif name == "RANGE":
            pieces.append(f"{_char(item[0])}-{_char(item[1])}")
        elif name == "CATEGORY" and str(item) in _CATEGORIES:
            pieces.append(_CATEGORIES[str(item)])
        else:
            return None
    return "[" + "".join(pieces) + "]"


def _repeat(source: str, least: int, most: int, greedy: bool, chars: t.Any = None) -> Part:
    # Maximal runs of the class, found by the regex engine in one scan.
    return (0, re.compile(f"(?:{source})+", re.DOTALL), least, most, greedy, chars)


def _chars(op: str, av: t.Any) -> frozenset[str] | None:
    """The characters of a one-character item, if it lists a few (ranges too), else None."""
    if op == "LITERAL":
        return frozenset(chr(av))
    if op != "IN":
        return None
    chars: set[str] = set()
    for item_op, item in av:
        name = str(item_op)
        if name == "LITERAL":
            chars.add(chr(item))
        elif name == "RANGE" and item[1] - item[0] < 256:
            chars.update(chr(code) for code in range(item[0], item[1] + 1))
        else:
            return None  # a negation, a category, a wide range
    return frozenset(chars)


def _parts_of(items: t.Any, parts: list[Part], maxrepeat: int) -> bool:
    """Append the parts of parsed regex ``items``; False if one is not supported."""
    for op, av in items:
        name = str(op)
        if name in _SINGLE:
            source = _class_source(name, av)
            if source is None:
                return False
            if name == "LITERAL":
                parts.append((1, (chr(av),)))
            else:
                parts.append(_repeat(source, 1, 1, True, _chars(name, av)))
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            least, most, body = av
            body = list(body)
            if len(body) != 1 or str(body[0][0]) not in _SINGLE:
                return False
            source = _class_source(str(body[0][0]), body[0][1])
            if source is None:
                return False
            most = -1 if most == maxrepeat else most
            chars = _chars(str(body[0][0]), body[0][1])
            parts.append(_repeat(source, least, most, name == "MAX_REPEAT", chars))
        elif name == "SUBPATTERN":
            _group, add_flags, del_flags, body = av
            if add_flags or del_flags or not _parts_of(body, parts, maxrepeat):
                return False
        elif name == "BRANCH":
            words = []
            for branch in av[1]:
                if any(str(o) != "LITERAL" for o, _ in branch):
                    return False
                words.append("".join(chr(code) for _, code in branch))
            parts.append((1, tuple(words)))
        else:
            return False
    return True


def chain_parts(regex: str) -> list[Part] | None:
    """The parts of a converter's ``regex``, or None if :class:`Chain` cannot match it."""
    parser = _parser()
    try:
        parsed = parser.parse(regex)
    except re.error:
        return None
    flags = parsed.state.flags & ~(re.UNICODE | re.DOTALL)
    if flags:
        return None
    parts: list[Part] = []
    if not _parts_of(parsed, parts, int(parser.MAXREPEAT)):
        return None
    return parts


#: A repeat whose count may vary more than this is one that can backtrack.
_WIDE = 16


def _is_wide(part: Part) -> bool:
    """Whether a repeat part may take a varying number of characters, many."""
    return bool(part[3] < 0 or part[3] - part[2] > _WIDE)


def may_backtrack(parts: list[Part]) -> bool:
    """Whether one regex of ``parts`` can take more than linear time to miss.

    It can when two repeats of varying length may trade characters: nothing
    between them is sure to hold a character the first cannot take (as
    ``.`` after ``[0-9]+`` in ``[0-9]+[.][0-9]+``, which fixes where the
    first ends). ``\\w+\\d+`` and ``[^/]+-[^/]+`` can: the regex tries every
    split. When unsure (a class such as ``\\d`` between), the answer is yes.
    """
    open_runs: re.Pattern[str] | None = None
    for part in parts:
        if part[0] == 1:
            words = part[1]
            if open_runs is not None and all(
                word and open_runs.match(word[0]) is None for word in words
            ):
                open_runs = None
            continue
        runs, least, _most, _greedy, chars = part[1:]
        if (
            open_runs is not None
            and least >= 1
            and chars is not None
            and all(open_runs.match(char) is None for char in chars)
        ):
            open_runs = None  # it starts where the open repeat must stop
        if _is_wide(part):
            if open_runs is not None:
                return True
            open_runs = runs
    return False


class Chain:
    """Variables and fixed text within one segment, matched in linear time.

    ``items`` are the segment's text (str) and variables ``(name, parts)``,
    the parts from :func:`chain_parts`; ``regex`` is the same as one
    regular expression, which answers for short text.
    """

    __slots__ = ("parts", "spans", "regex", "short")

    def __init__(self, items: list[t.Any], regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.parts: list[Part] = []
        #: Per variable: its name, its first part and the part after its last.
        self.spans: list[tuple[str, int, int]] = []
        for item in items:
            if isinstance(item, str):
                self.parts.append((1, (item,)))
            else:
                name, parts = item
                first = len(self.parts)
                self.parts.extend(parts)
                self.spans.append((name, first, len(self.parts)))
        # perf: the regex is some 50 times faster on a short segment, and
        # its worst there, about len ** repeats steps, stays under
        # SHORT_WORK (a tenth of a millisecond); longer text gets the scan.
        repeats = sum(1 for part in self.parts if part[0] == 0 and _is_wide(part))
        self.short = int(SHORT_WORK ** (1 / max(repeats, 1)))

    def fullmatch(self, text: str) -> dict[str, str] | None:
        """Return each variable's value if ``text`` matches, as the regex would."""
        if len(text) <= self.short:
            found = self.regex.fullmatch(text)
            return None if found is None else found.groupdict()
        return self.scan(text)

    def scan(self, text: str) -> dict[str, str] | None:
        """:meth:`fullmatch` in time linear in ``text``, whatever its length."""
        size = len(text)
        count = len(self.parts)
        # From the right: cans[i][p] is 1 where parts i onward can match
        # text[p:]. Each part's row is made from the next in one scan.
        cans: list[bytearray] = [bytearray()] * (count + 1)
        can = bytearray(size + 1)
        can[size] = 1
        cans[count] = can
        for index in range(count - 1, -1, -1):
            part = self.parts[index]
            if part[0] == 1:
                before = bytearray(size + 1)
                for word in part[1]:
                    width = len(word)
                    found = text.find(word)
                    while found != -1:
                        if can[found + width]:
                            before[found] = 1
                        found = text.find(word, found + 1)
            else:
                runs, least, most = part[1:4]
                # Taking none of the class is a choice when the repeat allows it.
                before = bytearray(can) if least == 0 else bytearray(size + 1)
                for run in runs.finditer(text):
                    run_start, run_end = run.span()
                    nearest = size + 1  # the first q >= position + least that can go on
                    for position in range(run_end, run_start - 1, -1):
                        reach = position + least
                        if reach <= run_end and can[reach]:
                            nearest = reach
                        if nearest <= run_end and (most < 0 or nearest <= position + most):
                            before[position] = 1
            can = cans[index] = before
        if not can[0]:
            return None
        # From the left: at each part, the regex's first choice that can go on.
        position = 0
        at = [0] * (count + 1)
        for index, part in enumerate(self.parts):
            after = cans[index + 1]
            if part[0] == 1:
                for word in part[1]:
                    end = position + len(word)
                    if text.startswith(word, position) and after[end]:
                        position = end
                        break
            else:
                runs, least, most, greedy = part[1:5]
                run = runs.match(text, position)
                high = position if run is None else run.end()
                if most >= 0:
                    high = min(high, position + most)
                low = position + least
                position = after.rfind(1, low, high + 1) if greedy else after.find(1, low, high + 1)
            at[index + 1] = position
        return {name: text[at[first] : at[stop]] for name, first, stop in self.spans}
