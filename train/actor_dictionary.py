"""Build tasks/data/petrarch2/actors.tsv: the actor dictionary newslake vendors from PETRARCH2 (MIT).

    python train/actor_dictionary.py DATASETS/events/petrarch2

Reads Phoenix.Countries.actors.txt (countries, their demonyms, cities and provinces, national
institutions, office-holders with dated roles), Phoenix.International.actors.txt (IGOs, NGOs and
their officials), Phoenix.MilNonState.actors.txt (armed non-state groups) and Phoenix.agents.txt
(generic agents: "police", "protesters", "minister"). Writes one line per phrase:

    phrase (lower-case tokens, space separated) \\t canonical name \\t kind \\t country (ISO alpha-3) \\t sector

Deterministic (sorted output). A person keeps the role of their latest dated entry (the file ends
around 2015). Phrases of one or two characters and pure stop words are dropped.
"""

from __future__ import annotations

import argparse
import re
import sys
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tasks" / "data" / "petrarch2"
sys.path.insert(0, str(ROOT))

from tasks.tagger import is_title_or_modifier, load_tagger  # noqa: E402  (its place gazetteer: GeoNames cities and states)

# CAMEO role codes (three letters) -> newslake sector (tasks/schema.py ACTOR_SECTORS).
SECTOR_OF = {
    "GOV": "government", "MIL": "military", "COP": "police", "SPY": "intelligence", "JUD": "judiciary",
    "LEG": "legislature", "PTY": "party", "OPP": "opposition", "REB": "rebel", "INS": "rebel", "SEP": "rebel",
    "UAF": "rebel", "IMG": "rebel", "ELI": "elite", "BUS": "business", "MNC": "business", "MED": "media",
    "JRN": "media", "HLH": "health", "EDU": "education", "REL": "religion", "CHR": "religion", "MUS": "religion",
    "BUD": "religion", "HIN": "religion", "JEW": "religion", "LAB": "labour", "AGR": "agriculture",
    "CVL": "civilian", "REF": "refugees", "CRM": "criminal", "NGO": "ngo", "IGO": "igo", "HRI": "ngo",
    "ENV": "ngo", "DEV": "government",
}
# Common short names where the dictionary's head is the long form.
SHORT_NAME = {
    "USA": "United States", "RUS": "Russia", "TZA": "Tanzania", "ZAF": "South Africa", "BRN": "Brunei",
    "KNA": "Saint Kitts and Nevis", "MDG": "Madagascar", "CIV": "Ivory Coast", "MDA": "Moldova",
}
SMALL = {"of", "the", "and", "for", "in", "on", "de", "du", "al", "la", "le", "y", "da", "di", "del", "van", "von"}
DEMONYM_RE = re.compile(r"(?:an|ans|ese|ish|i|ic|ch|ot|ots|ite|ites)$")
COUNTRY_ALIASES = {"britain", "great britain", "u.s", "u.s.a", "u.k", "america", "holland", "u s"}
STOP = {"the", "a", "an", "of", "and", "in", "on", "to", "for", "is", "it", "he", "she", "they", "we", "us", "all"}
MONTH_RE = re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b")
CODE_RE = re.compile(r"\[(?P<code>~?[A-Z-]{3,})(?:\s+(?P<dates>[<>]?\d+(?:-\d+)?))?\s*\]")


def phrase_of(raw: str) -> str:
    """'+U.N._SECRETARY_GENERAL_' -> 'u.n secretary general' (tokens as tasks.entities tokenises)."""
    raw = raw.strip().lstrip("+").rstrip("_").replace("_", " ")
    raw = re.sub(r"\{.*?\}|\(.*?\)|!\w+!", " ", raw)
    toks = re.findall(r"\w+(?:[-'.]\w+)*", raw.lower())
    return " ".join(toks)


def title_of(phrase: str) -> str:
    words = phrase.split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    out = []
    for i, w in enumerate(words):
        if i and w in SMALL:
            out.append(w)
        elif re.fullmatch(r"(?:[a-z]\.)+[a-z]", w):
            out.append(w.upper() + ".")  # a dotted acronym keeps its final stop: "u.n" -> "U.N."
        elif "." in w or (len(w) <= 3 and w.isalpha() and w not in SMALL and len(words) == 1):
            out.append(w.upper())
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out)


def _names_country(alias: str, head: str, cname: str, places: set[str]) -> bool:
    """Is an alias of a country entry the country itself (a short name, a demonym, a misspelling)
    rather than one of its places? "south africa", "britain", "nepalese", "united sates", "czech
    rep", "u.a.e": yes; "miami", "michigan" (ending like a demonym), "australian alps", "andorra la
    vella", "kuwait city" (GeoNames places): no."""
    if alias == cname.lower() or alias in COUNTRY_ALIASES or "republic" in alias or "kingdom" in alias or ("." in alias and " " not in alias):
        return True
    if " " in alias:
        if max(SequenceMatcher(None, alias, n).ratio() for n in (head, cname.lower())) >= 0.8:
            return True
        first = alias.split()[0]
        return first not in ("saint", "st") and first in (head.split()[0], cname.lower().split()[0]) and alias not in places
    return alias[:4] == head[:4] or (bool(DEMONYM_RE.search(alias)) and alias not in places)


def person_name(name: str) -> str:
    """A person's canonical name without the titles some entries carry: "Secretary-General Ban
    Ki-Moon" -> "Ban Ki-Moon" (two words at least stay)."""
    words = name.split()
    while len(words) > 2 and (is_title_or_modifier(words[0]) or words[0].lower() in ("secretary-general", "secretary general")):
        words = words[1:]
    return " ".join(words)


def sector_of(code: str) -> str:
    code = code.lstrip("~")
    for i in range(0, len(code) - 2, 3):
        s = SECTOR_OF.get(code[i : i + 3])
        if s:
            return s
    return ""


def _end(dates: str | None) -> int:
    if not dates:
        return 0
    if dates.startswith(">"):
        return 99999999
    tail = dates.split("-")[-1].lstrip("<")
    v = int(tail) if tail.isdigit() else 0
    return v + 19000000 if v < 1000000 else v  # YYMMDD -> 19YYMMDD (a sort key only)


def entries(path: Path):
    """(names, codes) per entry: names = [head, *aliases], codes = [(code, dates)]."""
    names: list[str] = []
    codes: list[tuple[str, str | None]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        body = line.split("#", 1)[0].rstrip()
        if not body.strip():
            continue
        if body[0] not in " \t+[":
            if names:
                yield names, codes
            names, codes = [body.split("[", 1)[0]], []
        elif body.lstrip().startswith("+"):
            names.append(body.split("[", 1)[0])
        codes += [(m.group("code"), m.group("dates")) for m in CODE_RE.finditer(body)]
    if names:
        yield names, codes


def build(src: Path) -> list[tuple[str, str, str, str, str]]:
    rows: dict[str, tuple[str, str, str, str]] = {}

    def add(phrase: str, name: str, kind: str, country: str, sector: str, strong: bool = False) -> None:
        if len(phrase) < 2 or phrase in STOP or MONTH_RE.search(phrase) or not re.search(r"[a-z]", phrase):
            return
        if strong or phrase not in rows:
            rows[phrase] = (name, kind, country, sector)

    country_name: dict[str, str] = {}
    places = {" ".join(p) for p in load_tagger().places}
    for names, codes in entries(src / "Phoenix.Countries.actors.txt"):
        if not codes or codes[0][0] == "---":
            continue
        head = phrase_of(names[0])
        code, dates = max(codes, key=lambda c: _end(c[1]))
        if len(code) == 3 and code.isalpha() and (not dates or dates.startswith(">")):
            cname = SHORT_NAME.get(code, title_of(head))
            country_name[code] = cname
            add(head, cname, "country", code, "", strong=True)
            for alias in names[1:]:
                p = phrase_of(alias)
                is_name = _names_country(p, head, cname, places)
                add(p, cname if is_name else title_of(p), "country" if is_name else "location", code, "")
            continue
        country = code[:3] if code[:3].isalpha() and not code.startswith("~") else ""
        kind = "person" if any(d for _, d in codes) else "organisation"
        name = title_of(head) if kind != "person" else person_name(title_of(head))
        for alias in names:
            add(phrase_of(alias), name, kind, country, sector_of(code[3:]) or sector_of(code[:3]))
    for names, codes in entries(src / "Phoenix.International.actors.txt"):
        if not codes or codes[0][0] == "---":
            continue
        code, dates = max(codes, key=lambda c: _end(c[1]))
        kind = "person" if any(d for _, d in codes) else "organisation"
        if code[:3] in ("IGO", "NGO"):
            country, sector = "", SECTOR_OF[code[:3]]
        else:
            country, sector = code[:3], sector_of(code[3:]) or sector_of(code[:3])
        name = title_of(phrase_of(names[0]))
        name = person_name(name) if kind == "person" else name
        for alias in names:
            add(phrase_of(alias), name, kind, country, sector)
    for names, codes in entries(src / "Phoenix.MilNonState.actors.txt"):
        if not codes:
            continue
        code = codes[0][0]
        name = title_of(phrase_of(names[0]))
        for alias in names:
            add(phrase_of(alias), name, "organisation", code[:3] if code[:3] not in ("IMG", "NGO", "IGO") else "", "rebel")
    macros: dict[str, list[str]] = {}
    for line in (src / "Phoenix.agents.txt").read_text(encoding="utf-8", errors="replace").splitlines():
        body = line.split("#", 1)[0].strip()
        m = re.match(r"^!(\w+)!\s*=\s*(.+)$", body)
        if m:
            macros[m.group(1)] = [w.strip() for w in m.group(2).split(",")]
            continue
        cm = CODE_RE.search(body)
        if not cm or not cm.group("code").startswith("~"):
            continue
        raw = body[: cm.start()].strip()
        raw = re.sub(r"\{.*?\}", "", raw).strip()
        variants = [raw]
        mm = re.search(r"!(\w+)!", raw)
        if mm and mm.group(1) in macros:
            variants = [raw.replace(mm.group(0), w) for w in macros[mm.group(1)]]
        sector = sector_of(cm.group("code"))
        for v in variants:
            p = phrase_of(v)
            if not p:
                continue
            forms = [p]
            if not v.rstrip().endswith("_"):
                last = p.split()[-1]
                plural = last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else last + ("es" if last.endswith(("ss", "sh", "ch", "x")) else "s")
                forms.append(" ".join([*p.split()[:-1], plural]))
            for f in forms:
                add(f, p, "group", "", sector)
    known = set(country_name)
    return sorted((p, n, k, c if c in known else "", s) for p, (n, k, c, s) in rows.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("petrarch2", type=Path, help="the petrarch2 folder of DATASETS/events")
    args = ap.parse_args()
    rows = build(args.petrarch2)
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "actors.tsv").open("w", encoding="utf-8") as fh:
        fh.write("# Actor dictionary vendored from PETRARCH2 (MIT, Open Event Data Alliance; LICENSE here). Built by train/actor_dictionary.py.\n")
        for r in rows:
            fh.write("\t".join(r) + "\n")
    (OUT / "LICENSE").write_text((args.petrarch2 / "LICENSE").read_text(encoding="utf-8"), encoding="utf-8")
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r[2]] = kinds.get(r[2], 0) + 1
    print(f"{len(rows)} phrases -> {OUT / 'actors.tsv'}: {dict(sorted(kinds.items()))}", file=sys.stderr)


if __name__ == "__main__":
    main()
