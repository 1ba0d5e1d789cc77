"""GraphQL documents sent to the Shopify Admin API, one named constant each.

Every document here is validated against the real Admin GraphQL schema 2026-10 by
``tests/engine/test_documents.py``.  Two runtime rules the schema cannot express are
kept by the callers: inventory mutations always carry ``@idempotent(key:)`` (written in
the documents below), and every quantity sends an explicit ``changeFromQuantity``.
"""

SHOP_INFO = """
query ShopInfo {
  shop { name myshopifyDomain }
  currentAppInstallation { accessScopes { handle } }
}
"""

LOCATIONS = """
query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true, includeLegacy: true) {
    nodes {
      id
      name
      isActive
      fulfillsOnlineOrders
      isFulfillmentService
      hasActiveInventory
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

VARIANTS = """
query Variants($first: Int!, $after: String, $query: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id
      sku
      barcode
      title
      product { id title }
      inventoryItem { id tracked }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# Levels are read by their own global ids
# (``gid://shopify/InventoryLevel/<location>?inventory_item_id=<item>``): one call
# reads up to 250 arbitrary (item, location) pairs, across locations.  A null node
# means the item is not stocked at that location (or is gone).  Each quantity's own
# ``updatedAt`` tells inbound decisions when it last moved (a committed quantity that
# changed and changed back still shows when).
LEVELS = """
query Levels($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryLevel {
      id
      isActive
      updatedAt
      item { id tracked }
      quantities(names: ["available", "on_hand", "committed"]) {
        name
        quantity
        updatedAt
      }
    }
  }
}
"""

SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}
"""

ACTIVATE = """
mutation Activate($item: ID!, $location: ID!, $key: String!) {
  inventoryActivate(inventoryItemId: $item, locationId: $location)
  @idempotent(key: $key) {
    inventoryLevel { id }
    userErrors { field message }
  }
}
"""

BULK_RUN_QUERY = """
mutation BulkRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { code field message }
  }
}
"""

BULK_OPERATION = """
query BulkOperation($id: ID!) {
  bulkOperation(id: $id) {
    id status errorCode objectCount url partialDataUrl
  }
}
"""

# The query run as a bulk operation to snapshot every level of a catalogue.  Levels
# come out as their own JSONL lines with ``__parentId`` (the inventory item).
BULK_LEVELS = """
{
  inventoryItems {
    edges {
      node {
        id
        sku
        tracked
        inventoryLevels {
          edges {
            node {
              location { id }
              quantities(names: ["available", "on_hand", "committed"]) { name quantity }
            }
          }
        }
      }
    }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    nodes {
      id
      topic
      uri
      format
      filter
      includeFields
      createdAt
      apiVersion { handle }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(
    topic: $topic
    webhookSubscription: { uri: $uri, format: JSON }
  ) {
    webhookSubscription {
      id
      topic
      uri
      format
      filter
      includeFields
      createdAt
      apiVersion { handle }
    }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""

ALL = {
    "SHOP_INFO": SHOP_INFO,
    "LOCATIONS": LOCATIONS,
    "VARIANTS": VARIANTS,
    "LEVELS": LEVELS,
    "SET_QUANTITIES": SET_QUANTITIES,
    "ACTIVATE": ACTIVATE,
    "BULK_RUN_QUERY": BULK_RUN_QUERY,
    "BULK_OPERATION": BULK_OPERATION,
    "BULK_LEVELS": BULK_LEVELS,
    "WEBHOOK_SUBSCRIPTIONS": WEBHOOK_SUBSCRIPTIONS,
    "WEBHOOK_SUBSCRIPTION_CREATE": WEBHOOK_SUBSCRIPTION_CREATE,
    "WEBHOOK_SUBSCRIPTION_DELETE": WEBHOOK_SUBSCRIPTION_DELETE,
}
