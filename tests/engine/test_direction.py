"""The direction predicates: the one place that says which directions write to
Shopify, read from it, or take part at all."""

from shopify_stock_sync.engine.data import Direction


def test_each_direction_says_what_it_does():
    table = {
        direction: (
            direction.writes_to_shopify,
            direction.reads_from_shopify,
            direction.is_on,
        )
        for direction in Direction
    }
    assert table == {
        Direction.ODOO_TO_SHOPIFY: (True, False, True),
        Direction.SHOPIFY_TO_ODOO: (False, True, True),
        Direction.TWO_WAY: (True, True, True),
        Direction.OFF: (False, False, False),
    }


def test_values_for_domains_follow_the_predicates():
    assert Direction.writing_values() == ("odoo_to_shopify", "two_way")
    assert Direction.reading_values() == ("shopify_to_odoo", "two_way")
