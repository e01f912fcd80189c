"""The materials app's API endpoints under /api/v1/: stock and ledger, requests, offers, transfers and
rebalancing."""

from __future__ import annotations

from lianfang.materials.api import stock, transfers


def register(router) -> None:
    for part in (stock, transfers):
        part.register(router)
