# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import shopify_shop
from . import shopify_shop_push
from . import shopify_shop_reconcile
from . import shopify_reconciliation
from . import shopify_shop_readiness
from . import shopify_shop_health
from . import shopify_location_mapping
from . import shopify_variant_link
from . import shopify_stock_level
from . import shopify_stock_level_health
from . import res_config_settings
from . import shopify_stock_change
from . import stock_quant
from . import product_product
from . import product_template
from . import queue_job
