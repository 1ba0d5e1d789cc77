# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Who may press which button: the one check every public method of the addon
that reaches Shopify or changes what the sync does calls first.

Public methods (no leading underscore) can be called by any logged-in user over
JSON-RPC, whatever the views show; access rights only stop the first read or write
the method makes, and by then a call to Shopify may already have left (an operator's
*Remove all* removed every webhook subscription in Shopify before Odoo refused to
write the result).  So each such method calls ``_check_shopify_group`` before
anything else:

- administrators (``ADMIN``): everything that sends a request to Shopify or changes
  the configuration or what the sync sends (test connection, import locations,
  webhooks, reconciliation, readiness and its test push, the link wizard, cancelling
  a run, processing a webhook event again);
- operators (``OPERATOR``): what the readme gives them, marking levels pending for
  the push job (*Re-queue*, *Push stock to Shopify now*) and marking webhook events
  reviewed; none of these sends a request itself.
"""

from odoo import models
from odoo.exceptions import AccessError

from .constants import ADMIN


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    def _check_shopify_group(self, action, group=ADMIN, records=None):
        """Refuse ``action`` (a short phrase, "remove the webhook subscriptions")
        to a user outside ``group``, then check that the user may read ``records``
        (these shops when not given), before the caller does anything.

        Code that already runs as superuser (``sudo()``) has decided for itself and
        is not checked.  The caller may then work as superuser on what the user is
        not allowed to write (a level's state, for an operator).
        """
        if not self.env.su and not self.env.user.has_group(group):
            raise AccessError(
                self.env._(
                    "You cannot %(action)s: it needs the group %(group)s, which your "
                    "user does not have. Nothing was changed and nothing was sent "
                    "to Shopify. Ask a Shopify Stock Sync administrator to do it, or "
                    "to give you that group (Settings / Users).",
                    action=action,
                    group=self.env.ref(group).sudo().full_name,
                )
            )
        (self if records is None else records).check_access("read")
