"""What each parameter starts as, when the user states it instead of reading it.

A model on ``torch.device("meta")`` has no values; a real model may be asked
"what if every ``*.lora_B`` started at zero?".  Either way lint takes rules
``PATTERN=SPEC``, the first matching rule deciding for a parameter:

PATTERN
    a parameter path with shell wildcards (``*.lora_B.weight``), or a module
    prefix that covers every parameter under it (``blocks.3``); a path segment
    ``A-B`` of digits stands for each of A..B (``blocks.1-11``).
SPEC
    a number (``0``, ``1``, ``0.5``; also ``zero``, ``one``): every entry that
    constant; ``random``: generic values, every entry different from every other
    entry and every constant (what a continuous random init gives with
    probability 1); ``copy of PATH``: entry for entry the start of another
    parameter (for a module-prefix pattern, the parameter at the same place under
    PATH: ``blocks.1-11=copy of blocks.0``); ``values``: its actual values.

A parameter no rule matches keeps its values, or, with no storage (meta
device), starts ``random``.
"""

import fnmatch
import re
from dataclasses import dataclass

from ..base.errors import SymgradError

RANDOM_WORDS = {"random", "generic", "normal", "uniform", "randn", "rand", "kaiming", "xavier"}
CONSTANT_WORDS = {"zero": 0.0, "zeros": 0.0, "one": 1.0, "ones": 1.0}


@dataclass(frozen=True)
class Start:
    """A parameter's start: ``kind`` is "values", "constant", "random" or "copy"
    (``source``: the parameter whose start it copies, itself not a copy); ``rule``
    is the rule that decided ("" when none did)."""
    kind: str
    value: float = 0.0
    source: str = ""
    rule: str = ""

    def describe(self) -> str:
        """The start in words (``the constant 0``, ``random``, ``a copy of h.0.w``).

        >>> Start("constant", 0.0).describe(), Start("copy", source="a.w").describe()
        ('the constant 0', 'a copy of a.w')
        """
        if self.kind == "constant":
            return f"the constant {self.value:g}"
        if self.kind == "copy":
            return f"a copy of {self.source}"
        return "random" if self.kind == "random" else "its values"


@dataclass(frozen=True)
class Rule:
    text: str
    patterns: tuple          # fnmatch patterns, ranges expanded
    spec: Start
    copy_base: str = ""      # "copy of PATH": PATH as written


def parse(rules) -> list:
    """Rules from strings ``"PATTERN=SPEC"``, a dict ``{PATTERN: SPEC}`` or pairs.

    >>> [r.spec.kind for r in parse(["*.lora_B.weight=0", "blocks.1-2=copy of blocks.0"])]
    ['constant', 'copy']
    >>> parse({"h.*.bias": "zero"})[0].patterns
    ('h.*.bias',)
    """
    if rules is None:
        return []
    if isinstance(rules, str):
        rules = [rules]
    items = list(rules.items()) if isinstance(rules, dict) else [_split(r) for r in rules]
    return [_rule(str(pattern).strip(), spec) for pattern, spec in items]


def _split(rule):
    if isinstance(rule, (tuple, list)) and len(rule) == 2:
        return rule
    if not isinstance(rule, str) or "=" not in rule:
        raise SymgradError(f"an init rule is PATTERN=SPEC (such as '*.lora_B.weight=0'), got {rule!r}")
    pattern, _, spec = rule.partition("=")
    return pattern, spec


def _rule(pattern: str, spec) -> Rule:
    text = f"{pattern}={spec}"
    if not pattern or any(c.isspace() for c in pattern):
        raise SymgradError(f"init rule {text!r}: the pattern must be a parameter path or module prefix, with no spaces")
    start, base = _spec(spec, text)
    patterns = _expand(pattern)
    patterns += [p[2:] for p in patterns if p.startswith("*.")]     # "*.x" also names a top-level x
    return Rule(text, tuple(patterns), start, base)


def _spec(spec, text):
    if isinstance(spec, bool):
        raise SymgradError(f"init rule {text!r}: the start must be a number, random, values or 'copy of PATH'")
    if isinstance(spec, (int, float)):
        return _constant(float(spec), text), ""
    words = str(spec).strip()
    low = words.lower()
    if low in CONSTANT_WORDS:
        return Start("constant", CONSTANT_WORDS[low], rule=text), ""
    if low in RANDOM_WORDS:
        return Start("random", rule=text), ""
    if low == "values":
        return Start("values", rule=text), ""
    copy = re.fullmatch(r"copy(?:\s+of)?\s+(\S+)", words)
    if copy:
        return Start("copy", rule=text), copy.group(1)
    try:
        number = float(words)
    except ValueError:
        raise SymgradError(f"init rule {text!r}: the start must be a number, zero, one, random, values "
                           f"or 'copy of PATH'") from None
    return _constant(number, text), ""


def _constant(value, text):
    if value != value or value in (float("inf"), float("-inf")):
        raise SymgradError(f"init rule {text!r}: a constant start must be a finite number")
    return Start("constant", value + 0.0, rule=text)


def _expand(pattern: str) -> list:
    """The pattern with each ``A-B`` segment replaced by A..B (at most 100,000 patterns).

    >>> _expand("h.1-3.attn")
    ['h.1.attn', 'h.2.attn', 'h.3.attn']
    """
    out = [""]
    for i, seg in enumerate(pattern.split(".")):
        m = re.fullmatch(r"(\d+)-(\d+)", seg)
        choices = [str(k) for k in range(int(m.group(1)), int(m.group(2)) + 1)] if m else [seg]
        if m and int(m.group(1)) > int(m.group(2)):
            raise SymgradError(f"init rule pattern {pattern!r}: the range {seg} is empty")
        if len(out) * len(choices) > 100_000:
            raise SymgradError(f"init rule pattern {pattern!r} stands for more than 100,000 paths")
        out = [f"{o}.{c}" if i else c for o in out for c in choices]
    return out


def _match(rule: Rule, name: str):
    """The pattern of ``rule`` that matches ``name``, as a path or module prefix, and
    the rest of the name below that prefix ("" for a whole-path match); or None."""
    for p in rule.patterns:
        if fnmatch.fnmatchcase(name, p):
            return p, ""
        parts = name.split(".")
        for k in range(1, len(parts)):
            if fnmatch.fnmatchcase(".".join(parts[:k]), p):
                return p, ".".join(parts[k:])
    return None


def resolve(shapes: dict, rules, has_values) -> dict:
    """Each parameter's ``Start`` (copies resolved to their source's own start).

    ``shapes``: path -> shape, in order; ``has_values(path)``: whether the
    parameter has storage.  A rule that matches no parameter, a copy of a missing
    parameter or of another shape, and a chain of copies that loops are errors.

    >>> s = resolve({"a.w": (2, 3), "b.w": (2, 3)}, ["b=copy of a", "*.w=random"], lambda n: True)
    >>> s["a.w"].kind, s["b.w"].kind, s["b.w"].source
    ('random', 'copy', 'a.w')
    """
    parsed = parse(rules)
    used = set()
    chosen = {}
    for name in shapes:
        chosen[name] = _choose(name, parsed, used, has_values)
    for r in parsed:
        if r.text not in used:
            raise SymgradError(f"init rule {r.text!r} matches no parameter of the model")
    return {name: _follow(name, chosen, shapes) for name in shapes}


def _choose(name, parsed, used, has_values):
    for r in parsed:
        hit = _match(r, name)
        if hit is None:
            continue
        used.add(r.text)
        if r.spec.kind == "values" and not has_values(name):
            raise SymgradError(f"init rule {r.text!r}: {name} has no values (meta device); state its start")
        if r.spec.kind == "copy":
            rest = hit[1]
            source = f"{r.copy_base}.{rest}" if rest else r.copy_base
            return Start("copy", source=source, rule=r.text)
        return r.spec
    return Start("values") if has_values(name) else Start("random")


def _follow(name, chosen, shapes) -> Start:
    """A copy's start: its source's, followed to a parameter that is not a copy."""
    seen = [name]
    start = chosen[name]
    while start.kind == "copy":
        source = start.source
        if source not in chosen:
            raise SymgradError(f"init rule {chosen[name].rule!r}: {name} copies {source}, which is not a "
                               f"parameter of the model")
        if tuple(shapes[source]) != tuple(shapes[name]):
            raise SymgradError(f"init rule {chosen[name].rule!r}: {name} {tuple(shapes[name])} cannot copy "
                               f"{source} {tuple(shapes[source])}: the shapes differ")
        if source in seen:
            raise SymgradError(f"init rules copy in a loop: {' <- '.join(seen + [source])}")
        seen.append(source)
        start = chosen[source]
    if len(seen) == 1:
        return start
    return Start("copy", start.value, seen[-1], chosen[name].rule) if start.kind != "constant" \
        else Start("constant", start.value, rule=chosen[name].rule)
