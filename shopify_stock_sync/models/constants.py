# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Names the addon's models share, each written once; no model here, so any model
file may import it whatever the load order."""

# The addon's groups: administrators configure and reach Shopify; operators watch,
# re-queue and review (see shopify_shop_access._check_shopify_group).
ADMIN = "shopify_stock_sync.group_shopify_admin"
OPERATOR = "shopify_stock_sync.group_shopify_operator"

# stock.quant context key: (product id, location id) pairs whose quant writes are an
# inbound adjustment from Shopify, not to be pushed back to the mapping they came from
# (the job that adjusts tells other mappings itself); see models/stock_quant.py
INBOUND_PAIRS_KEY = "shopify_stock_sync_inbound_pairs"

# Advisory lock spaces: with a shop's id, two ints name a transaction lock
# (shopify.shop._lock_or_retry).  The shop's level lock is held by every job
# that reads or writes the shop's levels against Shopify (its push and its webhook
# events), so that they never interleave; the reconciliation lock by a shop's
# reconciliation jobs, one at a time.
LEVEL_LOCK_SPACE = 0x5E0C
RECONCILE_LOCK_SPACE = 0x5E0D

# queue_job identity keys: at most one such job waits at a time
PUSH_IDENTITY = "shopify_stock_sync.push:{}"  # shop id
RECONCILE_IDENTITY = "shopify_stock_sync.reconcile:{}"  # shop id
RECONCILE_CHUNK_IDENTITY = (  # run id, chunk number, attempts
    "shopify_stock_sync.reconcile_chunk:{}:{}:{}"
)
