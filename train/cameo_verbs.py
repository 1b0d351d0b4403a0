"""Build tasks/data/petrarch2/cameo_verbs.tsv: the CAMEO verb patterns of PETRARCH2 (MIT) in a
compact form newslake's trigger finder reads (three kinds of lines, tab separated):

    V  verb form (lower case; multi-word forms space separated)  block number  CAMEO code of the verb  verb
    P  block number  CAMEO code  words before the verb  words after the verb  verb the pattern was written for
    S  &SET  word|word|...   (a synonym set a pattern names, e.g. &WEAPON)

    python train/cameo_verbs.py DATASETS/events/petrarch2

From CAMEO.2.0.txt (verb synonym blocks, their codes and their patterns) it writes one line per
(verb form, pattern):

    verb form (lower case, multi-word forms space separated) \\t CAMEO code \\t words before \\t words after

where the pattern's words are space separated (`&SET` for a synonym set). Regular verb forms (-s, -ed,
-ing) are generated as PETRARCH does; irregular forms come from the file. Patterns whose code is
`---` (no event) are kept: they stop a verb from coding an event in that context. Source/target
markers ($ + %) and phrase brackets are dropped: newslake matches the words in order within a
window, it does not parse. Deterministic (sorted output).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tasks" / "data" / "petrarch2"
CODE_RE = re.compile(r"\[([0-9-]{2,4}|---)(?::[0-9]+)?\]")


def forms_of(verb: str) -> list[str]:
    v = verb.lower()
    if v.endswith("e"):
        return [v, v + "s", v + "d", v[:-1] + "ing"]
    if v.endswith("y") and len(v) > 2 and v[-2] not in "aeiou":
        return [v, v[:-1] + "ies", v[:-1] + "ied", v + "ing"]
    if v.endswith(("s", "sh", "ch", "x", "z")):
        return [v, v + "es", v + "ed", v + "ing"]
    return [v, v + "s", v + "ed", v + "ing"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("petrarch2", type=Path)
    args = ap.parse_args()
    lines = (args.petrarch2 / "CAMEO.2.0.txt").read_text(encoding="utf-8", errors="replace").splitlines()
    start = next(i for i, line in enumerate(lines) if "VERB PATTERNS" in line)
    end = next(i for i, line in enumerate(lines) if "TRANSFORMATIONS" in line)
    synsets: dict[str, list[str]] = {}
    cur = None
    for line in lines[:start]:
        body = line.split("#", 1)[0].strip()
        if body.startswith("&"):
            cur = body.rstrip("_")
            synsets[cur] = []
        elif body.startswith("+") and cur:
            synsets[cur].append(body[1:].rstrip("_").replace("_", " ").lower())
    rows: set[tuple[str, ...]] = set()
    block_code = "---"
    verbs: list[tuple[str, list[str], str]] = []  # (verb, forms, code) of the current block
    patterns: list[tuple[str, str, str]] = []
    block = 0
    used: set[str] = set()

    def flush() -> None:
        for _verb, forms, code in verbs:
            for f in forms:
                rows.add(("V", f, str(block), code, _verb))
        for pcode, before, after, verb in patterns:
            rows.add(("P", str(block), pcode, before, after, verb))

    def words(part: str) -> str:
        out = []
        for tok in re.sub(r"[{}()$%^+]", " ", part).split():
            if tok.startswith("&"):
                if synsets.get(tok.rstrip("_")):
                    used.add(tok.rstrip("_"))
                    out.append(tok.rstrip("_"))
            elif tok not in ("*",) and re.match(r"^[A-Z][A-Z'.-]*$", tok.replace("_", "")):
                out.extend(w.lower() for w in tok.split("_") if w)
        return " ".join(out)

    for line in lines[start:end]:
        if line.startswith("---"):
            flush()
            block += 1
            m = CODE_RE.search(line)
            block_code = m.group(1) if m else "---"
            verbs, patterns = [], []
            continue
        body = line.split("#", 1)[0].rstrip()
        if not body.strip():
            continue
        if body.startswith("-"):
            m = CODE_RE.search(body)
            if not m or "*" not in body:
                continue
            pat = body[1 : m.start()]
            before, after = pat.split("*", 1)
            comment = line.split("#", 1)[1].split() if "#" in line else []
            verb = comment[0].lower().replace("_", " ") if comment and comment[0].isupper() else ""
            patterns.append((m.group(1), words(before), words(after), verb))
            continue
        m = CODE_RE.search(body)
        code = m.group(1) if m else block_code
        head = CODE_RE.sub("", body)
        irregular = re.findall(r"\{([^}]*)\}", head)
        head = re.sub(r"\{[^}]*\}", "", head).strip()
        if not head:
            continue
        if "+" in head and "_" in head:  # multi-word verb: +BRING_OUT -> "bring out"
            phrase = head.replace("+", "").lower().split("_")
            forms = [" ".join(phrase)]
            forms += [" ".join([f, *phrase[1:]]) for f in forms_of(phrase[0])[1:]]
            for irr in irregular:
                forms += [w.replace("+", "").replace("_", " ").lower() for w in irr.split()]
        else:
            base = head.split()[0].lstrip("+").replace("_", " ").lower()
            forms = forms_of(base) if " " not in base else [base]
            for irr in irregular:
                forms += [w.replace("+", "").replace("_", " ").lower() for w in irr.split()]
        verbs.append((head.replace("+", "").replace("_", " ").split()[0].lower() if " " not in head.replace("+", "").replace("_", " ").strip() else head.replace("+", "").replace("_", " ").strip().lower(), sorted(set(forms)), code))
    flush()
    for name in sorted(used):
        rows.add(("S", name, "|".join(sorted({w.split()[-1] for w in synsets[name]}))))
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "cameo_verbs.tsv").open("w", encoding="utf-8") as fh:
        fh.write("# CAMEO verb patterns vendored from PETRARCH2 CAMEO.2.0.txt (MIT, Open Event Data Alliance; LICENSE here). Built by train/cameo_verbs.py.\n")
        for r in sorted(rows, key=lambda r: (r[0], int(r[1]) if r[0] == "P" else 0, r)):
            fh.write("\t".join(r) + "\n")
    n_forms = len({r[1] for r in rows if r[0] == "V"})
    n_pat = sum(r[0] == "P" for r in rows)
    print(f"{n_pat} patterns over {n_forms} verb forms -> {OUT / 'cameo_verbs.tsv'}", file=sys.stderr)


if __name__ == "__main__":
    main()
