# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Shopify Stock Sync.

The ``engine`` sub-package is plain Python (it never imports ``odoo``) and holds every
sync decision; it is tested with plain pytest.  The Odoo parts (models, controllers,
wizards) are imported only when this package is loaded by Odoo as
``odoo.addons.shopify_stock_sync``.
"""

# Only Odoo loads this package as ``odoo.addons.shopify_stock_sync``: plain pytest of
# the engine imports it as ``shopify_stock_sync`` with no Odoo installed, and must not
# pull in the models (which import ``odoo``).
if __name__.startswith("odoo.addons."):
    from . import controllers
    from . import models
    from . import wizards
