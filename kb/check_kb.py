#!/usr/bin/env python3
"""Validate kb_seed.json and check it for leakage from the dev and holdout question sets.

Usage: python3 kb/check_kb.py [--kb kb/kb_seed.json] [--dev kb/dev_questions.json]
                              [--holdout kb/holdout_questions.json] [--near 0.6] [--fix]

Checks (exit code 1 if any hard check fails):
  * the file parses; it is an array of entries with exactly the seed's fields
    (id, category, title, questions, answer, legal_basis, source_urls, verified, notes?),
    correct types, unique ids, non-empty questions;
  * every entry has >= --min-questions paraphrases (default 10);
  * no two questions fold to the same text (within or across entries);
  * HARD: no KB question whose folded form (no diacritics, lowercase, whitespace
    normalized) equals a dev or holdout question's folded form. With --fix such
    questions are removed from the KB file.
  * HARD: the same for the sets measured but never tuned on (--also: unseen, blind A and B,
    English, the held-out share of the paraphrase sets P1/P2), except the five short
    paraphrases in GRANDFATHERED that were in the KB before blind sets A and B were written
    and that those sets' writers happened to type too.
  * REPORT ONLY: near duplicates of dev or holdout questions (character 3-gram
    Jaccard on the folded text >= --near), so a writer can rephrase them; for the --also
    sets only their count (kb/fold_paraphrases.py keeps new paraphrases under J 0.5 of all).
  The holdout file and the --also files are optional (skipped if missing).

Standard library only; the folding mirrors docs/vietnamese-retrieval.md §1.1/1.3
(NFC, đ->d, strip combining marks, lowercase, collapse whitespace).
"""
import argparse
import json
import os
import re
import sys
import unicodedata

ALSO = [
    "kb/unseen_questions.json",
    "kb/blindA_questions.json",
    "kb/blindB_questions.json",
    "kb/blindC_questions.json",
    "kb/english_questions.json",
    "kb/paraP_heldout_questions.json",
]
# KB paraphrases older than blind sets A, B and C that their writers typed too (folded form).
GRANDFATHERED = {
    "xin chao",
    "cmnd cu con xai dc ko ad",
    "dang ky tam tru online tren vneid the nao",
    "gplx bi tru het diem thi sao",
    "goi cuu hoa so may",
    # … and blind set C's writer (checked when C was added, before its first run was read).
    "xin giay ct07 o dau ad",
    "so ho khau giay con gia tri khong",
    "lam ho chieu het bao nhieu tien",
    "dang ky ho kinh doanh o dau",
}

FIELDS = ["id", "category", "title", "questions", "answer", "legal_basis", "source_urls", "verified"]
OPTIONAL = ["notes"]


def fold(text: str) -> str:
    t = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    t = unicodedata.normalize("NFD", t)
    t = "".join(c for c in t if unicodedata.category(c) != "Mn")
    t = t.lower()
    return re.sub(r"\s+", " ", t).strip()


def trigrams(text: str) -> set:
    t = " " + re.sub(r"[^a-z0-9 ]", " ", text) + " "
    t = re.sub(r"\s+", " ", t)
    return {t[i:i + 3] for i in range(len(t) - 2)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", default="kb/kb_seed.json")
    ap.add_argument("--dev", default="kb/dev_questions.json")
    ap.add_argument("--holdout", default="kb/holdout_questions.json")
    ap.add_argument("--min-questions", type=int, default=10)
    ap.add_argument("--near", type=float, default=0.6)
    ap.add_argument("--fix", action="store_true", help="remove exact folded duplicates of dev questions")
    ap.add_argument("--also", nargs="*", default=ALSO, help="measured sets checked for exact duplicates")
    args = ap.parse_args()

    errors = []
    with open(args.kb, encoding="utf-8") as f:
        kb = json.load(f)
    with open(args.dev, encoding="utf-8") as f:
        dev = json.load(f)
    holdout = []
    if os.path.exists(args.holdout):
        with open(args.holdout, encoding="utf-8") as f:
            holdout = json.load(f)
    checked = [(d, "dev") for d in dev] + [(d, "holdout") for d in holdout]
    also = []
    for path in args.also:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                also += [(d, os.path.basename(path)) for d in json.load(f)]

    if not isinstance(kb, list):
        print("ERROR: KB must be a JSON array of entries")
        return 1
    ids = set()
    for i, e in enumerate(kb):
        keys = list(e.keys())
        expected = FIELDS + [k for k in OPTIONAL if k in e]
        if keys != expected:
            errors.append(f"entry {i} ({e.get('id')}): fields {keys} != {expected}")
        if e.get("id") in ids:
            errors.append(f"duplicate id {e.get('id')}")
        ids.add(e.get("id"))
        for k in ("id", "category", "title", "answer"):
            if not isinstance(e.get(k), str) or not e.get(k).strip():
                errors.append(f"{e.get('id')}: {k} must be a non-empty string")
        for k in ("questions", "legal_basis", "source_urls"):
            if not isinstance(e.get(k), list) or not all(isinstance(x, str) and x.strip() for x in e.get(k, [])):
                errors.append(f"{e.get('id')}: {k} must be a list of non-empty strings")
        if not isinstance(e.get("verified"), bool):
            errors.append(f"{e.get('id')}: verified must be a boolean")
        if "notes" in e and not isinstance(e["notes"], str):
            errors.append(f"{e.get('id')}: notes must be a string")
        if len(e.get("questions", [])) < args.min_questions:
            errors.append(f"{e.get('id')}: only {len(e.get('questions', []))} questions (< {args.min_questions})")
        if unicodedata.normalize("NFC", e.get("answer", "")) != e.get("answer", ""):
            errors.append(f"{e.get('id')}: answer is not NFC")

    # duplicate questions inside the KB (folded)
    seen = {}
    for e in kb:
        for q in e["questions"]:
            k = fold(q)
            if k in seen:
                errors.append(f"question {q!r} in {e['id']} folds like one in {seen[k]}")
            else:
                seen[k] = e["id"]

    # unknown expected ids in dev / holdout
    for d, name in checked:
        if d["expected"] != "__none__" and d["expected"] not in ids:
            errors.append(f"{name} question {d['text']!r} expects unknown id {d['expected']}")

    # leakage: exact folded duplicates
    dev_fold = {fold(d["text"]): name for d, name in checked}
    exact = [(e["id"], q) for e in kb for q in e["questions"] if fold(q) in dev_fold]
    for eid, q in exact:
        print(f"EXACT {dev_fold[fold(q)].upper()} DUPLICATE: {eid}: {q!r}")
    if exact and args.fix:
        for e in kb:
            e["questions"] = [q for q in e["questions"] if fold(q) not in dev_fold]
        with open(args.kb, "w", encoding="utf-8") as f:
            f.write(json.dumps(kb, ensure_ascii=False, indent=1))
        print(f"removed {len(exact)} exact duplicates from {args.kb}")
    elif exact:
        errors.append(f"{len(exact)} KB questions equal a dev/holdout question after folding (run with --fix)")

    # exact folded duplicates of the measured sets
    also_fold = {fold(d["text"]): name for d, name in also}
    also_exact = [
        (e["id"], q) for e in kb for q in e["questions"] if fold(q) in also_fold and fold(q) not in GRANDFATHERED
    ]
    for eid, q in also_exact:
        errors.append(f"{eid}: {q!r} folds like a question of {also_fold[fold(q)]} (a measured set)")
    also_tri = [trigrams(k) for k in also_fold]
    kb_tri = [trigrams(fold(q)) for e in kb for q in e["questions"]]
    also_near = sum(1 for tq in kb_tri if any(jaccard(tq, t) >= args.near for t in also_tri))

    # near duplicates: report only
    dev_tri = [(d, name, trigrams(fold(d["text"]))) for d, name in checked]
    near = []
    for e in kb:
        for q in e["questions"]:
            tq = trigrams(fold(q))
            for d, name, td in dev_tri:
                j = jaccard(tq, td)
                if j >= args.near and fold(q) != fold(d["text"]):
                    near.append((j, e["id"], q, name, d["text"], d["expected"]))
    for j, eid, q, name, dt, de in sorted(near, reverse=True):
        print(f"near {name} duplicate J={j:.2f}: {eid}: {q!r} ~ {name} {dt!r} ({de})")

    nq = [len(e["questions"]) for e in kb]
    print(f"entries={len(kb)} questions={sum(nq)} min/entry={min(nq)} max/entry={max(nq)} "
          f"holdout_questions={len(holdout)} exact_dev_dups={len(exact)} near_dev_dups(J>={args.near})={len(near)} "
          f"measured_questions={len(also)} exact_measured_dups={len(also_exact)} near_measured(J>={args.near})={also_near}")
    for err in errors:
        print("ERROR:", err)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
