# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import test_install
from . import test_shop
from . import test_connection
from . import test_location_mapping
from . import test_variant_link
from . import test_stock_level
from . import test_security
from . import test_security_actions
from . import test_link_wizard
from . import test_stock_change_hook
from . import test_push_stock
from . import test_push_faults
from . import test_reconnect
from . import test_rule_change
from . import test_failed_jobs
from . import test_reconciliation
from . import test_readiness
