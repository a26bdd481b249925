"""``--dry-run`` estimates and the price table."""

from __future__ import annotations

import json

import pytest

from datagen.llm import estimate, run_task
from datagen.llm.pricing import cost_usd, find_price, load_prices, price_note
from schemas.errors import InputError
from tests.datagen.llm.conftest import EchoTask, make_rows


def test_dry_run_sends_nothing_and_counts_the_cache(server, make_config):
    rows = make_rows(10)
    config = make_config(server, dry_run=True, max_tokens=100)
    first = estimate(EchoTask(), rows, config)
    assert server.requests == [] and not config.cache_path.exists()
    assert (first.requests, first.cached, first.rows) == (10, 0, 10)
    assert first.completion_tokens == 1000
    assert 150 <= first.prompt_tokens <= 400
    expected = cost_usd("gpt-4o-mini", first.prompt_tokens, first.completion_tokens)
    assert first.cost_usd == pytest.approx(expected)
    assert "10 requests to send" in first.summary()
    run_task(EchoTask(), rows[:4], make_config(server, max_tokens=100), progress=False)
    second = estimate(EchoTask(), rows, config)
    assert (second.requests, second.cached) == (6, 4)
    assert len(server.requests) == 4


def test_dry_run_prices_batch_and_unknown_models(make_config):
    rows = make_rows(3)
    online = estimate(EchoTask(), rows, make_config(None, model="gpt-4.1"))
    batch = estimate(EchoTask(), rows, make_config(None, model="gpt-4.1", batch_api=True))
    assert batch.cost_usd == pytest.approx(online.cost_usd / 2)
    local = estimate(EchoTask(), rows, make_config(None, model="smollm2-135m"))
    assert local.cost_usd == 0 and "no price known for model 'smollm2-135m'" in local.summary()
    assert EchoTask.est_completion_tokens * 3 == local.completion_tokens


def test_price_lookup_and_overrides(tmp_path):
    assert find_price("gpt-4o-mini-2024-07-18") == find_price("gpt-4o-mini")
    assert find_price("gpt-4o-2024-08-06") == find_price("gpt-4o")
    assert cost_usd("gpt-4o", 1_000_000, 1_000_000) == pytest.approx(12.5)
    assert price_note("gpt-4o") is None
    table = tmp_path / "prices.json"
    table.write_text(json.dumps({"my-model": {"input": 1, "output": 2}}))
    prices = load_prices(table)
    assert cost_usd("my-model", 1_000_000, 500_000, prices) == pytest.approx(2.0)
    table.write_text(json.dumps({"my-model": {"input": "cheap"}}))
    with pytest.raises(InputError, match="my-model"):
        load_prices(table)
    with pytest.raises(InputError, match="file not found"):
        load_prices(tmp_path / "missing.json")
