#!/usr/bin/env python3
"""Fold the paraphrase sets P1/P2 into kb_seed.json, keeping a held-out share per entry.

Usage: python3 kb/fold_paraphrases.py [--dry-run]

The sets `kb/paraP1_questions.json` and `kb/paraP2_questions.json` (issue 18: 564 citizen
questions each, 12 per entry, written by other agents from the entry titles only, never from the
paraphrases) are split per entry: of an entry's questions in file order, position i is held out
when (i + k) % 3 == 0, k being the entry's position in its set, so a third of every entry (4 of 12,
spread over the style groups) is held out and written to `kb/paraP_heldout_questions.json`; the
other two thirds are appended to the entry's paraphrases in `kb/kb_seed.json`.

A question is not folded (it is dropped, not held out) when its folded text has a character
3-gram Jaccard >= 0.5 with any question of a checked set (dev, holdout, unseen, blind A/B,
English, the out-of-scope tuning files, the held-out share itself), so no set gets easier, or
when it folds like a paraphrase the knowledge base already has, or when it is listed in
EXCLUDED with its reason. Entries keep their existing
paraphrases first. Running it twice changes nothing (folded questions are then duplicates).
Standard library only; folding as in check_kb.py.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_kb import fold, jaccard, trigrams  # noqa: E402

KB = "kb/kb_seed.json"
SETS = ["kb/paraP1_questions.json", "kb/paraP2_questions.json"]
HELDOUT = "kb/paraP_heldout_questions.json"
CHECKED = [
    "kb/dev_questions.json",
    "kb/holdout_questions.json",
    "kb/unseen_questions.json",
    "kb/blindA_questions.json",
    "kb/blindB_questions.json",
    "kb/english_questions.json",
    "kb/oos_tuning.json",
    "kb/oos_tuning2.json",
]
NEAR = 0.5
# Questions not folded for a reason of their own (text: why).
EXCLUDED = {
    # The dev set labels asking for a named or area officer's number out of scope (hand off); with
    # this paraphrase the greeting-to-an-officer entry answered such a dev question.
    "cho toi noi chuyen voi anh canh sat khu vuc duoc khong": "dev: area-officer contact is out of scope",
}


def split(questions):
    """(held out, to fold) for one set, by the rule in the module docstring."""
    by_entry = {}
    for q in questions:
        by_entry.setdefault(q["expected"], []).append(q)
    held, fold_in = [], []
    for k, qs in enumerate(by_entry.values()):
        for i, q in enumerate(qs):
            (held if (i + k) % 3 == 0 else fold_in).append(q)
    return held, fold_in


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    with open(KB, encoding="utf-8") as f:
        kb = json.load(f)
    held, fold_in = [], []
    for path in SETS:
        if not os.path.exists(path):
            print(f"{path}: missing, skipped")
            continue
        with open(path, encoding="utf-8") as f:
            h, fi = split(json.load(f))
        held += h
        fold_in += fi
    checked = list(held)
    for path in CHECKED:
        with open(path, encoding="utf-8") as f:
            checked += json.load(f)
    checked_tri = [trigrams(fold(q["text"])) for q in checked]
    known = {fold(q) for e in kb for q in e["questions"]}
    entries = {e["id"]: e for e in kb}
    added, near, dup, excluded = 0, 0, 0, 0
    for q in fold_in:
        text = " ".join(q["text"].split())
        key = fold(text)
        if key in known:
            dup += 1
            continue
        if text in EXCLUDED:
            excluded += 1
            continue
        tq = trigrams(key)
        if any(jaccard(tq, t) >= NEAR for t in checked_tri):
            near += 1
            continue
        entries[q["expected"]]["questions"].append(text)
        known.add(key)
        added += 1
    print(
        f"held out {len(held)}, folded {added}, dropped {near} near a checked question, {dup} already in the KB, "
        f"{excluded} excluded by hand"
    )
    if not args.dry_run:
        with open(KB, "w", encoding="utf-8") as f:
            f.write(json.dumps(kb, ensure_ascii=False, indent=1))
        with open(HELDOUT, "w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join(json.dumps(q, ensure_ascii=False) for q in held) + "\n]\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
