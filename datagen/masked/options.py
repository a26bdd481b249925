"""The options of ``datagen masked-sentences`` (one dataclass, as every command's)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datagen.llm import LLMConfig
from datagen.prompts.languages import parse_lang
from schemas.console import ConsoleOptions
from schemas.errors import InputError
from schemas.options import group, option

SLOT_CHOOSERS = ("llm", "offline")
FILL_MODES = ("list", "word", "frame", "score")
CHAT_TEMPLATES = ("chatml", "plain")
SCORE_CONTEXT, SCORE_CONTRAST = 6, 4.0  # --fill score's defaults (bench/llm_type_probe.py)
OTHER_CONTEXT = 3


@dataclass
class MaskedOptions(ConsoleOptions):
    base: Path = option(
        argument=True,
        help="Base sentences: a data set from `datagen base-sentences`, a table with a text "
        "column (.jsonl/.csv/.parquet/...) or a .txt file with one sentence a line.",
    )
    out: Path = option(help="Output directory (the `masked` data set).")
    backend: str = option(
        "auto",
        help="auto (an LLM when a key or --base-url is given, else offline), openai (any "
        "OpenAI-compatible endpoint) or offline (heuristic, not an LLM).",
    )
    articles: Path | None = option(
        None,
        help="Type articles or type sentences (from `datagen ingest` / `datagen sentences`): "
        "required by the offline backend; with an LLM they feed the own-vocabulary check in the "
        "manifest and, with --per-type, the type context (--type-context).",
    )
    lang: str | None = option(
        None, help="Language of the fills: en or ko (default: the base set's `lang`)."
    )
    per_type: bool = option(
        False,
        flag="--per-type",
        help="One request per (sentence, type) after one per sentence for the slot; candidate "
        "probabilities from logprobs where the server returns them.",
    )
    logprobs: bool = option(True, help="With --per-type: ask for token logprobs.")
    slot: str | None = option(
        None,
        help="With --per-type: who picks the word to mask: llm (one request per sentence) or "
        "offline (the offline slot chooser, no request; for small local models). Default: "
        "offline with --fill score (it scores the offline chooser's candidates), else llm.",
        choices=SLOT_CHOOSERS,
    )
    fill: str = option(
        "list",
        help="With --per-type: list (the model states up to --k fills with probabilities), "
        "word (one word per request as JSON under --response-format's schema: the candidates "
        "come from the first token's top_logprobs, or are the answer alone when the server "
        "sends none) or frame (for small models on llama.cpp's server, e.g. with --slot offline: "
        "the answer is the sentence itself, spelt by a GBNF `grammar` with the blank left "
        "free; the answer's word and the other word starts in the top_logprobs at the blank, "
        "each continued into a whole word by one more request (greedy, most probable first, "
        "until none can beat the k-th fill), scored by the sum of their tokens' logprobs; no "
        "validation retries; --max-tokens defaults to the sentence up to the blank plus a few "
        "tokens) or score (for small models on llama.cpp's server, with --articles: the model "
        "chooses nothing but scores words: the slot and the candidates are the offline "
        "backend's, all 16 types' fills of the sentence, and each (sentence, type, word) is one "
        "/v1/completions request, the prompt in --chat-template and the sentence up to the "
        "blank, the word spelt by a grammar of its token ids; its tokens' logprobs are its "
        "score).",
        choices=FILL_MODES,
    )
    chat_template: str = option(
        "chatml",
        help="With --fill score: how the prompt's messages become the one text /v1/completions "
        "takes: chatml (<|im_start|>role ... <|im_end|>: SmolLM2, Qwen) or plain (the messages' "
        "text one after the other, for base models).",
        choices=CHAT_TEMPLATES,
    )
    type_context: int | None = option(
        None,
        help="With --per-type and --articles: each (sentence, type) prompt describes the type by "
        "this many sentences of its own articles (type names and function codes masked as "
        "[TYPE], chosen with a fixed seed per sentence and type, or with --fill score per type: "
        "the same for every sentence), instead of naming it (prompt templates v2); 0 = off: "
        f"the type named, as templates v1. Default: {SCORE_CONTEXT} with --fill score, else "
        f"{OTHER_CONTEXT}.",
        ge=0,
    )
    type_contrast: float | None = option(
        None,
        help="With --per-type --fill frame or score: reweight each type's fills by how much "
        "more probable they are under that type than under the sentence's 16 types on average, "
        "p_t(w)^(1+a) / mean(p(w))^a (type-word PMI, as in contrastive decoding), for small "
        "models whose fills barely move with the type; 0 = off: the model's probabilities. "
        f"Default: {SCORE_CONTRAST:g} with --fill score, else 0.",
        ge=0,
    )
    k: int = option(5, help="Candidate fills per type (at most).", ge=1)
    text_col: str = option("text", help="Text column of the base table.")
    overwrite: bool = option(False, flag="--overwrite", help="Replace an existing --out.")
    llm: LLMConfig = group(LLMConfig, panel="LLM")

    @property
    def scores(self) -> bool:
        """``--per-type --fill score``: the model scores the offline backend's candidates."""
        return self.per_type and self.fill == "score"

    @property
    def slot_chooser(self) -> str:
        """Who picks each sentence's slot: ``--slot``, else offline with ``--fill score``."""
        if self.slot is not None:
            return self.slot
        return "offline" if self.scores else "llm"

    @property
    def context_sentences(self) -> int:
        """Article sentences in each per-type prompt: ``--type-context`` (or the mode's default)
        with ``--per-type`` and ``--articles``, else 0 (the type named)."""
        if not self.per_type or self.articles is None:
            return 0
        if self.type_context is not None:
            return self.type_context
        return SCORE_CONTEXT if self.scores else OTHER_CONTEXT

    @property
    def contrast(self) -> float:
        """The type contrast in effect: ``--type-contrast`` or the mode's default."""
        if self.type_contrast is not None:
            return self.type_contrast
        return SCORE_CONTRAST if self.scores else 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.lang = parse_lang(self.lang) if self.lang else None
        if self.type_contrast and not (self.per_type and self.fill in ("frame", "score")):
            raise InputError("--type-contrast reweights --per-type --fill frame or score fills",
                             field="--type-contrast")  # fmt: skip
        if self.fill in ("frame", "score") and self.llm.batch_api:
            raise InputError(
                f"--fill {self.fill} sends a GBNF grammar per request, which the Batch API does "
                "not take; use --fill word",
                field="--fill",
            )
        if self.scores and self.slot == "llm":
            raise InputError(
                "--fill score scores the offline slot chooser's candidates; leave --slot out "
                "or give --slot offline",
                field="--slot",
            )
        if self.scores and (self.articles is None or not self.logprobs):
            raise InputError(
                "--fill score needs --articles (the offline backend's candidates and the type "
                "context) and the server's logprobs",
                field="--fill",
            )
