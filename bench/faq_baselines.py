#!/usr/bin/env python3
"""FAQ-matching baselines for caunoi (evaluation only; never a runtime dependency).

Two reference systems from docs/vietnamese-retrieval.md §5, scored with the same metrics
and the same answer/clarify rule as the Rust engine, so numbers can be compared side by side:

  bm25_words   B1: BM25Okapi (rank_bm25, k1=1.5, b=0.75) over underthesea `word_tokenize`
               tokens (lowercased, accents kept as typed, punctuation dropped) — the ViRE setup.
               Each entry's title and every paraphrase in `questions` is its own document; an
               entry's score is the MAX over its documents (`--bm25-mode concat` instead indexes
               one document per entry: title + all questions concatenated).
  tfidf_char   B3: scikit-learn TfidfVectorizer(analyzer="char_wb", ngram_range=(2,4),
               sublinear_tf=True) on folded text (NFC, đ→d, diacritics stripped, lowercase),
               cosine similarity; title and each paraphrase are rows, entry score = MAX.

Decision rule (mirrors the engine): Answer with the top-ranked entry if its score >= threshold,
otherwise Clarify. The threshold is chosen on the question file itself (dev set): the lowest
threshold whose answered precision is >= --target-precision (default 0.95), i.e. maximum
coverage at that precision; if no threshold reaches it, the one with the best precision (ties:
more coverage). `--threshold-bm25` / `--threshold-tfidf` freeze a threshold instead.

Metrics (in-scope = expected != "__none__"):
  n                  number of questions
  top1, top3         share of in-scope questions whose right entry is ranked 1st / in top 3
  mrr                mean reciprocal rank of the right entry, cut at 10 (MRR@10), in-scope
  answered_precision right Answers / all Answers (an Answer to an out-of-scope question is wrong)
  coverage           right Answers / in-scope questions
  oos_answered       Answers / out-of-scope questions
  wrong_answer_rate  wrong Answers / all questions
  by_group           {group: {n, top1 (null if no in-scope), oos_answered (null if no OOS)}}
  latency_us         {p50, p95, p99} per query (normalize + tokenize + score + rank), warm index

Usage:
  python bench/faq_baselines.py --kb kb/kb_seed.json --questions kb/dev_questions.json [--json]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict

import numpy as np

NONE = "__none__"


# ---------------------------------------------------------------- text helpers
def fold(text: str) -> str:
    t = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    t = unicodedata.normalize("NFD", t)
    t = "".join(c for c in t if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", t.lower()).strip()


_WORD = re.compile(r"\w", re.UNICODE)


def words(text: str, word_tokenize) -> list[str]:
    toks = word_tokenize(unicodedata.normalize("NFC", text).lower())
    return [t for t in toks if _WORD.search(t)]


# ---------------------------------------------------------------- data
def load(kb_path: str, q_path: str, exclude: list[str]):
    with open(kb_path, encoding="utf-8") as f:
        kb = json.load(f)
    if isinstance(kb, dict):  # tolerate {entries: [...]}
        kb = kb["entries"]
    kb = [e for e in kb if not any(e["id"] == x or (x.endswith("*") and e["id"].startswith(x[:-1])) for x in exclude)]
    with open(q_path, encoding="utf-8") as f:
        qs = json.load(f)
    if isinstance(qs, dict):
        qs = qs.get("items", qs.get("questions"))
    ids = [e["id"] for e in kb]
    known = set(ids)
    # a question whose expected entry was excluded becomes out of scope for this run
    for q in qs:
        q.setdefault("group", q.get("style", "all"))
        if q["expected"] != NONE and q["expected"] not in known:
            q["expected"] = NONE
    docs, owner = [], []
    for i, e in enumerate(kb):
        for text in [e["title"], *e["questions"]]:
            docs.append(text)
            owner.append(i)
    return kb, ids, qs, docs, np.asarray(owner)


def max_per_entry(doc_scores: np.ndarray, owner: np.ndarray, n_entries: int) -> np.ndarray:
    out = np.full(n_entries, -np.inf)
    np.maximum.at(out, owner, doc_scores)
    return out


# ---------------------------------------------------------------- baselines
class BM25Words:
    def __init__(self, kb, docs, owner, mode: str):
        from rank_bm25 import BM25Okapi
        from underthesea import word_tokenize

        self.wt = word_tokenize
        self.n = len(kb)
        self.mode = mode
        if mode == "max":
            self.owner = owner
            corpus = [words(d, self.wt) for d in docs]
        else:
            self.owner = None
            corpus = [words(" . ".join([e["title"], *e["questions"]]), self.wt) for e in kb]
        self.bm25 = BM25Okapi(corpus, k1=1.5, b=0.75)
        self.name = "bm25_words" if mode == "max" else "bm25_words_concat"

    def scores(self, text: str) -> np.ndarray:
        s = np.asarray(self.bm25.get_scores(words(text, self.wt)))
        return max_per_entry(s, self.owner, self.n) if self.owner is not None else s


class TfidfChar:
    def __init__(self, kb, docs, owner):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.n = len(kb)
        self.owner = owner
        self.vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                                   preprocessor=fold, lowercase=False)
        self.mat = self.vec.fit_transform(docs)  # rows are L2-normalized -> dot = cosine
        self.name = "tfidf_char"

    def scores(self, text: str) -> np.ndarray:
        v = self.vec.transform([text])
        s = (self.mat @ v.T).toarray().ravel()
        return max_per_entry(s, self.owner, self.n)


# ---------------------------------------------------------------- evaluation
def run(system, ids, qs):
    """Rank every question; return per-question (rank of expected or None, top id, top score)."""
    rows, lat = [], []
    for _ in range(3):  # warm-up
        system.scores(qs[0]["text"])
    for q in qs:
        t0 = time.perf_counter_ns()
        s = system.scores(q["text"])
        order = np.argsort(-s, kind="stable")
        lat.append((time.perf_counter_ns() - t0) / 1000.0)
        rank = None
        if q["expected"] != NONE:
            pos = np.nonzero(order == ids.index(q["expected"]))[0]
            rank = int(pos[0]) + 1 if len(pos) else None
        top = int(order[0])
        rows.append({"rank": rank, "top": ids[top], "score": float(s[top]), "q": q})
    return rows, lat


def decide_metrics(rows, thr):
    answers = [r for r in rows if r["score"] >= thr]
    right = sum(1 for r in answers if r["top"] == r["q"]["expected"])
    n_in = sum(1 for r in rows if r["q"]["expected"] != NONE)
    n_oos = len(rows) - n_in
    oos_ans = sum(1 for r in answers if r["q"]["expected"] == NONE)
    return {
        "answered_precision": right / len(answers) if answers else 1.0,
        "coverage": right / n_in if n_in else 0.0,
        "oos_answered": oos_ans / n_oos if n_oos else 0.0,
        "wrong_answer_rate": (len(answers) - right) / len(rows) if rows else 0.0,
        "answers": len(answers),
        "right": right,
    }


def choose_threshold(rows, target):
    cands = sorted({r["score"] for r in rows})
    cands.append(max(cands) + 1e-9)  # "never answer"
    best_ok, best_any = None, None
    for t in cands:  # ascending: first passing threshold has the most coverage
        m = decide_metrics(rows, t)
        if m["answers"] and m["answered_precision"] >= target and best_ok is None:
            best_ok = (t, m)
        key = (m["answered_precision"] if m["answers"] else 0.0, m["coverage"])
        if best_any is None or key > best_any[0]:
            best_any = (key, t, m)
    if best_ok:
        return best_ok[0], "precision>=%.2f" % target
    return best_any[1], "best precision (target %.2f not reached)" % target


def metrics(name, rows, lat, thr, rule, extra):
    inscope = [r for r in rows if r["q"]["expected"] != NONE]
    n_in = len(inscope)
    top1 = sum(1 for r in inscope if r["rank"] == 1)
    top3 = sum(1 for r in inscope if r["rank"] is not None and r["rank"] <= 3)
    mrr = sum(1.0 / r["rank"] for r in inscope if r["rank"] is not None and r["rank"] <= 10)
    d = decide_metrics(rows, thr)
    groups = defaultdict(list)
    for r in rows:
        groups[r["q"]["group"]].append(r)
    by_group = {}
    for g, rs in sorted(groups.items()):
        ins = [r for r in rs if r["q"]["expected"] != NONE]
        oos = [r for r in rs if r["q"]["expected"] == NONE]
        by_group[g] = {
            "n": len(rs),
            "top1": round(sum(1 for r in ins if r["rank"] == 1) / len(ins), 4) if ins else None,
            "oos_answered": round(sum(1 for r in oos if r["score"] >= thr) / len(oos), 4) if oos else None,
        }
    p = np.percentile(np.asarray(lat), [50, 95, 99])
    out = {
        "name": name,
        "n": len(rows),
        "top1": round(top1 / n_in, 4) if n_in else None,
        "top3": round(top3 / n_in, 4) if n_in else None,
        "mrr": round(mrr / n_in, 4) if n_in else None,
        "answered_precision": round(d["answered_precision"], 4),
        "coverage": round(d["coverage"], 4),
        "oos_answered": round(d["oos_answered"], 4),
        "wrong_answer_rate": round(d["wrong_answer_rate"], 4),
        "by_group": by_group,
        "latency_us": {"p50": round(float(p[0]), 1), "p95": round(float(p[1]), 1), "p99": round(float(p[2]), 1)},
        "threshold": round(thr, 6),
        "threshold_rule": rule,
    }
    out.update(extra)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kb", required=True)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--json", action="store_true", help="one JSON object per baseline per line")
    ap.add_argument("--baselines", default="bm25,tfidf", help="comma list of bm25, bm25concat, tfidf")
    ap.add_argument("--target-precision", type=float, default=0.95)
    ap.add_argument("--threshold-bm25", type=float)
    ap.add_argument("--threshold-tfidf", type=float)
    ap.add_argument("--exclude", default="", help="comma list of entry ids to drop (suffix * = prefix)")
    ap.add_argument("--errors", action="store_true", help="also list wrong top-1 / wrong answers (stderr)")
    args = ap.parse_args()

    exclude = [x for x in args.exclude.split(",") if x]
    kb, ids, qs, docs, owner = load(args.kb, args.questions, exclude)
    extra = {"kb_entries": len(kb), "kb_paraphrases": sum(len(e["questions"]) for e in kb)}
    results = []
    for b in [x.strip() for x in args.baselines.split(",") if x.strip()]:
        t0 = time.perf_counter()
        if b == "bm25":
            sysm, fixed = BM25Words(kb, docs, owner, "max"), args.threshold_bm25
        elif b == "bm25concat":
            sysm, fixed = BM25Words(kb, docs, owner, "concat"), args.threshold_bm25
        elif b == "tfidf":
            sysm, fixed = TfidfChar(kb, docs, owner), args.threshold_tfidf
        else:
            ap.error(f"unknown baseline {b}")
        build_ms = (time.perf_counter() - t0) * 1000
        rows, lat = run(sysm, ids, qs)
        if fixed is not None:
            thr, rule = fixed, "fixed"
        else:
            thr, rule = choose_threshold(rows, args.target_precision)
        m = metrics(sysm.name, rows, lat, thr, rule, {**extra, "index_build_ms": round(build_ms, 1)})
        results.append(m)
        if args.errors:
            for r in rows:
                exp = r["q"]["expected"]
                if (exp != NONE and r["rank"] != 1) or (r["score"] >= thr and r["top"] != exp):
                    tag = "ANSWER-WRONG" if r["score"] >= thr else "rank-miss"
                    print(f"[{sysm.name}] {tag} {r['q']['group']}: {r['q']['text']!r} expected={exp} "
                          f"top={r['top']} score={r['score']:.3f} rank={r['rank']}", file=sys.stderr)
        if args.json:
            print(json.dumps(m, ensure_ascii=False), flush=True)

    if not args.json:
        cols = ["top1", "top3", "mrr", "answered_precision", "coverage", "oos_answered", "wrong_answer_rate"]
        print(f"kb={args.kb} ({extra['kb_entries']} entries, {extra['kb_paraphrases']} paraphrases) "
              f"questions={args.questions} n={len(qs)}")
        print("%-18s %9s " % ("baseline", "threshold") + " ".join("%8s" % c[:8] for c in cols) + "  p50/p95/p99 us")
        for m in results:
            print("%-18s %9.4f " % (m["name"], m["threshold"]) + " ".join("%8.3f" % m[c] for c in cols)
                  + "  %s/%s/%s" % (m["latency_us"]["p50"], m["latency_us"]["p95"], m["latency_us"]["p99"]))
            for g, v in m["by_group"].items():
                print("    %-12s n=%-4d top1=%-6s oos_answered=%s" % (g, v["n"], v["top1"], v["oos_answered"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
