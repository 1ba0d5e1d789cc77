"""The sync engine: plain Python, never imports ``odoo``.

Every decision of the connector lives here: the Shopify Admin client (``shopify``),
the quantity rule, the push plan with compare-and-set, reading levels, the
reconciliation diff, webhook verification and the operational messages.  The Odoo
models only translate records to these dataclasses and back.
"""
