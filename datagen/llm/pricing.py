"""Token prices for a cost estimate (USD per 1M tokens), overridable from a JSON file.

Prices are OpenAI's published standard-tier list prices as known in mid-2025; they are an
estimate only and change over time: pass ``--prices FILE`` (``{"model": {"input": x,
"output": y}}``) to use your own. The Batch API is billed at half price. Unknown models
cost 0 (with a note), e.g. local servers.
"""

from __future__ import annotations

import json
from pathlib import Path

from schemas.errors import InputError

PRICES_USD_PER_1M: dict[str, dict[str, float]] = {
    "gpt-4o": {"input": 2.50, "output": 10.00},
    "gpt-4o-mini": {"input": 0.15, "output": 0.60},
    "gpt-4.1": {"input": 2.00, "output": 8.00},
    "gpt-4.1-mini": {"input": 0.40, "output": 1.60},
    "gpt-4.1-nano": {"input": 0.10, "output": 0.40},
    "gpt-5": {"input": 1.25, "output": 10.00},
    "gpt-5-mini": {"input": 0.25, "output": 2.00},
    "gpt-5-nano": {"input": 0.05, "output": 0.40},
    "o4-mini": {"input": 1.10, "output": 4.40},
    "gpt-3.5-turbo": {"input": 0.50, "output": 1.50},
}
BATCH_DISCOUNT = 0.5


def find_price(model: str, overrides: dict[str, dict[str, float]] | None = None) -> dict | None:
    """Price of ``model``: exact name, else the longest known prefix (dated snapshots)."""
    table = {**PRICES_USD_PER_1M, **(overrides or {})}
    if model in table:
        return table[model]
    prefixes = [name for name in table if model.startswith(name + "-")]
    return table[max(prefixes, key=len)] if prefixes else None


def cost_usd(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    overrides: dict[str, dict[str, float]] | None = None,
    *,
    batch: bool = False,
) -> float:
    """Estimated cost in USD; 0 for a model without a price."""
    price = find_price(model, overrides)
    if price is None:
        return 0.0
    usd = (prompt_tokens * price["input"] + completion_tokens * price["output"]) / 1e6
    return usd * (BATCH_DISCOUNT if batch else 1.0)


def price_note(model: str, overrides: dict[str, dict[str, float]] | None = None) -> str | None:
    """A one-line note when the model has no price (so its cost shows as 0)."""
    if find_price(model, overrides) is None:
        return f"no price known for model '{model}': cost counted as 0 (use --prices FILE)"
    return None


def load_prices(path: Path) -> dict[str, dict[str, float]]:
    """Read a price override file: ``{"model": {"input": usd_per_1m, "output": usd_per_1m}}``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"not a JSON price table: {err}", file=path) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object {model: {input, output}}", file=path)
    for model, price in data.items():
        ok = isinstance(price, dict) and all(
            isinstance(price.get(k), (int, float)) and price[k] >= 0 for k in ("input", "output")
        )
        if not ok:
            raise InputError(
                'expected {"input": usd_per_1m, "output": usd_per_1m}', file=path, field=model
            )
    return {m: {"input": float(p["input"]), "output": float(p["output"])} for m, p in data.items()}
