"""The materials app's API endpoints under /api/v1/: stock and ledger, transfers, donations and funds."""

from __future__ import annotations

from lianfang.materials import api_donations, api_stock, api_transfers


def register(router) -> None:
    for part in (api_stock, api_transfers, api_donations):
        part.register(router)
