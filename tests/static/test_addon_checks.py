"""The project's own addon checker: it passes our addon, and each check bites.

A small good addon is written to a temporary folder; each bad variant changes one
thing and must fail with its own message, naming the file (and line, where there is
one).  The RNG part runs only where Odoo 19's schemas are beside the repository.
"""

import sys

import addon_checks
import pytest
from static_support import ADDON, REPO, RNG_DIR, run

needs_rng = pytest.mark.skipif(
    not RNG_DIR.is_dir(),
    reason=f"Odoo 19 RNG files not found at {RNG_DIR} (../shared/odoo19/rng)",
)

MANIFEST = """{
    "name": "Good",
    "version": "19.0.1.0.0",
    "license": "LGPL-3",
    "author": "Tests",
    "depends": ["stock", "queue_job"],
    "data": [
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "views/shop_views.xml",
    ],
}
"""

MODELS = """from odoo import fields, models


class GoodMixin(models.AbstractModel):
    _name = "good.mixin"
    _description = "Mixin"

    def _mixin_job(self):
        return True


class GoodShop(models.Model):
    _name = "good.shop"
    _inherit = ["mail.thread", "good.mixin"]
    _description = "Shop"

    name = fields.Char(required=True)
    state = fields.Selection([("draft", "Draft"), ("done", "Done")])

    def push_stock(self):
        return True


class GoodWizard(models.TransientModel):
    _name = "good.wizard"
    _description = "Wizard"

    def run_job(self):
        return True


class StockQuant(models.Model):
    _inherit = "stock.quant"

    def _good_collect(self):
        return True
"""

ACL = """id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink
access_good_shop,good.shop,model_good_shop,base.group_user,1,1,1,1
access_good_wizard,good.wizard,model_good_wizard,base.group_user,1,1,1,1
"""

JOBS = """<?xml version="1.0" encoding="utf-8" ?>
<odoo>
    <record id="channel_good" model="queue.job.channel">
        <field name="name">good</field>
        <field name="parent_id" ref="queue_job.channel_root" />
    </record>
    <record id="job_function_push_stock" model="queue.job.function">
        <field name="model_id" ref="model_good_shop" />
        <field name="method">push_stock</field>
        <field name="channel_id" ref="channel_good" />
    </record>
    <record id="job_function_mixin" model="queue.job.function">
        <field name="model_id" ref="good.model_good_shop" />
        <field name="method">_mixin_job</field>
    </record>
    <record id="job_function_collect" model="queue.job.function">
        <field name="model_id" ref="stock.model_stock_quant" />
        <field name="method">_good_collect</field>
    </record>
    <record id="job_function_by_name" model="queue.job.function">
        <field name="name">&lt;good.wizard&gt;.run_job</field>
    </record>
</odoo>
"""

VIEWS = """<?xml version="1.0" encoding="utf-8" ?>
<odoo>
    <record id="good_shop_view_list" model="ir.ui.view">
        <field name="model">good.shop</field>
        <field name="arch" type="xml">
            <list decoration-muted="state == 'done'">
                <field name="name" />
                <field name="state" optional="show" />
            </list>
        </field>
    </record>
    <record id="good_shop_view_search" model="ir.ui.view">
        <field name="model">good.shop</field>
        <field name="arch" type="xml">
            <search>
                <field name="name" />
                <filter name="draft" domain="[('state', '=', 'draft')]" />
                <group>
                    <filter
                        name="group_state"
                        string="State"
                        context="{'group_by': 'state'}"
                    />
                </group>
            </search>
        </field>
    </record>
    <record id="good_shop_action" model="ir.actions.act_window">
        <field name="name">Shops</field>
        <field name="res_model">good.shop</field>
        <field name="view_mode">list,form</field>
        <field name="search_view_id" ref="good_shop_view_search" />
        <field name="group_ids" eval="[Command.link(ref('base.group_user'))]" />
    </record>
    <!-- after the action: the button of this form view refers to it -->
    <record id="good_shop_view_form" model="ir.ui.view">
        <field name="model">good.shop</field>
        <field name="arch" type="xml">
            <form>
                <header>
                    <button name="%(good_shop_action)d" type="action" invisible="1" />
                </header>
                <sheet>
                    <group>
                        <field name="name" readonly="state == 'done'" />
                        <field name="state" groups="base.group_no_one" />
                    </group>
                </sheet>
                <chatter />
            </form>
        </field>
    </record>
    <!-- lxml gives the line where a multi-line start tag ends -->
    <menuitem
        id="good_shop_menu"
        parent="stock.menu_stock_config_settings"
        action="good_shop_action"
        groups="base.group_system" />
</odoo>
"""

GOOD = {
    "__manifest__.py": MANIFEST,
    "__init__.py": "from . import models\n",
    "models/__init__.py": "from . import shop\n",
    "models/shop.py": MODELS,
    "security/ir.model.access.csv": ACL,
    "data/queue_job_data.xml": JOBS,
    "views/shop_views.xml": VIEWS,
}


def write_addon(tmp_path, replace=(), files=None):
    """Write the good addon to tmp_path/good, then apply (file, old, new) edits."""
    addon = tmp_path / "good"
    contents = dict(GOOD, **(files or {}))
    for file, old, new in replace:
        assert old in contents[file], f"fixture edit does not apply: {old!r}"
        contents[file] = contents[file].replace(old, new, 1)
    for rel, text in contents.items():
        if text is None:
            continue
        path = addon / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return addon


def problems_of(addon, rng_dir=None):
    return [str(p) for p in addon_checks.check_addon(addon, rng_dir).problems]


def test_checker_passes_our_addon():
    report = addon_checks.check_addon(ADDON, RNG_DIR if RNG_DIR.is_dir() else None)
    assert report.ok, report.text()
    assert report.notes[0].startswith("checked shopify_stock_sync:"), report.text()


def test_checker_passes_the_good_addon(tmp_path):
    report = addon_checks.check_addon(write_addon(tmp_path))
    assert report.ok, report.text()
    # ids of dependencies cannot be verified here, and the report says which
    unverified = "\n".join(report.notes)
    assert "'stock' accepted unverified" in unverified
    assert "menu_stock_config_settings" in unverified
    assert "model_stock_quant" in unverified
    assert "RNG validation of views skipped: no RNG directory given" in unverified


@needs_rng
def test_checker_passes_the_good_addon_with_odoo_rng(tmp_path):
    report = addon_checks.check_addon(write_addon(tmp_path), RNG_DIR)
    assert report.ok, report.text()
    assert "RNG on" in report.notes[0]


# case -> (edits, (file, text on the offending line or None, message start))
BAD = {
    "tree_view": (
        [
            ("views/shop_views.xml", "<list decoration", "<tree decoration"),
            ("views/shop_views.xml", "</list>", "</tree>"),
        ],
        ("views/shop_views.xml", "<tree", "<tree> view: renamed <list> in Odoo 18.0"),
    ),
    "tree_in_xpath": (
        [
            (
                "views/shop_views.xml",
                "<list decoration-muted=\"state == 'done'\">",
                '<xpath expr="//tree/field[1]" position="after">',
            ),
            ("views/shop_views.xml", "</list>", "</xpath>"),
        ],
        ("views/shop_views.xml", "<xpath", "xpath targets <tree>"),
    ),
    "attrs": (
        [
            (
                "views/shop_views.xml",
                "readonly=\"state == 'done'\"",
                "attrs=\"{'readonly': [('state', '=', 'done')]}\"",
            )
        ],
        ("views/shop_views.xml", "attrs=", "attrs= was removed in Odoo 17.0"),
    ),
    "states": (
        [("views/shop_views.xml", 'invisible="1"', 'states="draft"')],
        ("views/shop_views.xml", "<button", "states= was removed in Odoo 17.0"),
    ),
    "view_mode_tree": (
        [("views/shop_views.xml", "list,form</field>", "tree,form</field>")],
        ("views/shop_views.xml", "tree,form", "view_mode 'tree' was renamed 'list'"),
    ),
    "renamed_groups_id": (
        [("views/shop_views.xml", '"group_ids" eval', '"groups_id" eval')],
        (
            "views/shop_views.xml",
            "groups_id",
            "ir.actions.act_window field 'groups_id' renamed group_ids in Odoo 19.0",
        ),
    ),
    "missing_acl": (
        [("security/ir.model.access.csv", ACL.splitlines(True)[1], "")],
        ("models/shop.py", "class GoodShop", "model 'good.shop' has no access rule"),
    ),
    "missing_acl_transient": (
        [("security/ir.model.access.csv", ACL.splitlines(True)[2], "")],
        (
            "models/shop.py",
            "class GoodWizard",
            "model 'good.wizard' has no access rule",
        ),
    ),
    "acl_not_loaded": (
        [("__manifest__.py", '"security/ir.model.access.csv",', "")],
        ("security/ir.model.access.csv", None, "not listed in the manifest's data"),
    ),
    "dangling_ref": (
        [("views/shop_views.xml", 'action="good_shop_action"', 'action="no_action"')],
        (
            "views/shop_views.xml",
            'groups="base.group_system" />',
            "unknown XML id 'no_action'",
        ),
    ),
    "dangling_eval_ref": (
        [("views/shop_views.xml", "ref('base.group_user')", "ref('good.no_group')")],
        ("views/shop_views.xml", "group_ids", "unknown XML id 'good.no_group'"),
    ),
    "dangling_percent_ref": (
        [("views/shop_views.xml", "%(good_shop_action)d", "%(no_action)d")],
        ("views/shop_views.xml", "<button", "unknown XML id 'no_action'"),
    ),
    "dangling_csv_ref": (
        [("security/ir.model.access.csv", ",model_good_wizard,", ",model_no_wiz,")],
        (
            "security/ir.model.access.csv",
            "model_no_wiz",
            "unknown XML id 'model_no_wiz'",
        ),
    ),
    "ref_before_definition_in_file": (
        # the form view's %(good_shop_action)d before the action: Odoo fails there
        [
            (
                "views/shop_views.xml",
                '    <record id="good_shop_action"',
                '    <record id="good_shop_action_moved"',
            ),
            (
                "views/shop_views.xml",
                "    <menuitem",
                '    <record id="good_shop_action" model="ir.actions.act_window">\n'
                '        <field name="res_model">good.shop</field>\n'
                "    </record>\n"
                "    <menuitem",
            ),
        ],
        (
            "views/shop_views.xml",
            "<button",
            "unknown XML id 'good_shop_action': not defined in good before this point",
        ),
    ),
    "ref_before_definition_across_files": (
        [
            (
                "__manifest__.py",
                '"data/queue_job_data.xml",\n        "views/shop_views.xml",',
                '"views/shop_views.xml",\n        "data/queue_job_data.xml",',
            ),
            (
                "views/shop_views.xml",
                'action="good_shop_action"',
                'action="channel_good"',
            ),
        ],
        (
            "views/shop_views.xml",
            'groups="base.group_system" />',
            "unknown XML id 'channel_good': not defined in good before this point",
        ),
    ),
    "module_not_in_depends": (
        [("views/shop_views.xml", "stock.menu_stock_config", "mrp.menu_stock_config")],
        (
            "views/shop_views.xml",
            'groups="base.group_system" />',
            "XML id 'mrp.menu_stock_config_settings' belongs to module 'mrp', "
            "which is not in depends",
        ),
    ),
    "missing_data_file": (
        [("__manifest__.py", '"views/shop_views.xml",', '"views/gone.xml",')],
        (
            "__manifest__.py",
            None,
            "'views/gone.xml' is listed in data but does not exist",
        ),
    ),
    "job_method_missing": (
        [("data/queue_job_data.xml", ">push_stock<", ">push_nothing<")],
        (
            "data/queue_job_data.xml",
            'id="job_function_push_stock"',
            "queue.job.function method 'push_nothing' not found on model 'good.shop'",
        ),
    ),
    "job_model_not_ours": (
        [
            (
                "data/queue_job_data.xml",
                "stock.model_stock_quant",
                "stock.model_stock_move",
            )
        ],
        (
            "data/queue_job_data.xml",
            'id="job_function_collect"',
            "queue.job.function on 'stock.model_stock_move': no Python class of good "
            "creates or extends",
        ),
    ),
    "job_name_method_missing": (
        [("data/queue_job_data.xml", "&gt;.run_job<", "&gt;.run_nothing<")],
        (
            "data/queue_job_data.xml",
            'id="job_function_by_name"',
            "queue.job.function method 'run_nothing' not found on model 'good.wizard'",
        ),
    ),
    "job_function_incomplete": (
        [("data/queue_job_data.xml", '<field name="method">push_stock</field>', "")],
        (
            "data/queue_job_data.xml",
            'id="job_function_push_stock"',
            "queue.job.function needs model_id and method, or a name",
        ),
    ),
    "xml_not_well_formed": (
        [("views/shop_views.xml", "<sheet>", "<sheet")],
        (
            "views/shop_views.xml",
            '<group>\n                        <field name="name"',
            "XML syntax error:",
        ),
    ),
    "python_syntax_error": (
        [("models/shop.py", "def push_stock(self):", "def push_stock(self)")],
        ("models/shop.py", "def push_stock", "Python syntax error:"),
    ),
    "bad_version": (
        [("__manifest__.py", '"19.0.1.0.0"', '"18.0.1.0.0"')],
        ("__manifest__.py", None, "version '18.0.1.0.0' is not 19.0.x.y.z"),
    ),
    "bad_license": (
        [("__manifest__.py", '"LGPL-3"', '"MIT"')],
        ("__manifest__.py", None, "license 'MIT' is not one Odoo 19.0 knows"),
    ),
    "no_author": (
        [("__manifest__.py", '"author": "Tests",', "")],
        ("__manifest__.py", None, "author is missing"),
    ),
    "no_queue_job": (
        [("__manifest__.py", '["stock", "queue_job"]', '["stock"]')],
        ("__manifest__.py", None, "depends lacks 'queue_job'"),
    ),
}


def expected_problem(addon, file, marker, message):
    """'good/<file>:<line of marker>: <message>' (no line when marker is None)."""
    where = f"{addon.name}/{file}"
    if marker is not None:
        text = (addon / file).read_text(encoding="utf-8")
        assert marker in text, f"marker {marker!r} not in {file}"
        where += f":{text[: text.index(marker)].count(chr(10)) + 1}"
    return f"{where}: {message}"


@pytest.mark.parametrize("case", sorted(BAD))
def test_checker_fails_each_bad_addon(tmp_path, case):
    edits, (file, marker, message) = BAD[case]
    addon = write_addon(tmp_path, edits)
    expected = expected_problem(addon, file, marker, message)
    problems = problems_of(addon)
    assert any(p.startswith(expected) for p in problems), (
        f"expected a problem starting with:\n  {expected}\ngot:\n  "
        + "\n  ".join(problems)
    )


IMPLIED = """<?xml version="1.0" encoding="utf-8" ?>
<odoo>
    <function model="ir.model.data" name="_update_xmlids">
        <value model="base" eval="[{'xml_id': 'good.made_by_function', 'record': 1}]" />
    </function>
    <record id="good_product" model="product.product">
        <field name="name">Good</field>
        <field name="categ_id" ref="product.product_category_all" />
    </record>
    <record id="good_cron" model="ir.cron">
        <field name="name">Good</field>
        <field name="model_id" ref="model_good_shop" />
        <field name="code">model.push_stock()</field>
    </record>
    <record id="good_product_template_extra" model="ir.model.data">
        <field name="res_id" ref="good_product_product_template" />
        <field name="model" ref="made_by_function" />
        <field name="module" ref="good_cron_ir_actions_server" />
    </record>
</odoo>
"""


def test_ids_odoo_implies_and_transitive_modules_resolve(tmp_path):
    # product comes with stock; the template behind a product.product record, a
    # cron's server action and an id made by <function> all exist for Odoo
    addon = write_addon(
        tmp_path,
        [
            (
                "__manifest__.py",
                '"views/shop_views.xml",',
                '"views/shop_views.xml",\n        "data/implied.xml",',
            )
        ],
        files={"data/implied.xml": IMPLIED},
    )
    report = addon_checks.check_addon(addon)
    assert report.ok, report.text()
    assert any("'product' accepted unverified" in note for note in report.notes)


def test_ids_of_modules_a_dependency_may_not_install_are_accepted_and_noted(tmp_path):
    # what "sale" installs is not in KNOWN_CLOSURES: mrp ids cannot be judged
    addon = write_addon(
        tmp_path,
        [
            (
                "__manifest__.py",
                '["stock", "queue_job"]',
                '["stock", "queue_job", "sale"]',
            ),
            (
                "views/shop_views.xml",
                "stock.menu_stock_config",
                "mrp.menu_stock_config",
            ),
        ],
    )
    report = addon_checks.check_addon(addon)
    assert report.ok, report.text()
    notes = "\n".join(report.notes)
    assert "what sale install(s) is unknown here" in notes
    assert "'mrp' accepted unverified" in notes


def test_abstract_models_need_no_access_rule(tmp_path):
    # good.mixin is an AbstractModel without a row: no problem about it
    problems = problems_of(write_addon(tmp_path))
    assert not [p for p in problems if "good.mixin" in p]


@needs_rng
def test_checker_fails_a_search_view_odoo_19_rejects(tmp_path):
    # <group expand="0" string="Group By"> was fine before 19; its RNG refuses it
    addon = write_addon(
        tmp_path,
        [("views/shop_views.xml", "<group>", '<group expand="0" string="Group By">')],
    )
    problems = problems_of(addon, RNG_DIR)
    assert any(
        p.startswith("good/views/shop_views.xml:")
        and "search view fails Odoo 19 RNG" in p
        for p in problems
    ), problems
    # the same addon passes when the schemas are absent, and the report says why
    report = addon_checks.check_addon(addon, tmp_path / "no-rng")
    assert report.ok, report.text()
    assert any("RNG validation of views skipped" in n for n in report.notes)


@needs_rng
def test_checker_fails_a_list_view_with_unknown_attribute(tmp_path):
    addon = write_addon(
        tmp_path, [("views/shop_views.xml", "<list decoration", "<list colors")]
    )
    problems = problems_of(addon, RNG_DIR)
    assert any("list view fails Odoo 19 RNG" in p for p in problems), problems


def test_checker_command_line(tmp_path):
    script = REPO / "tests" / "static" / "addon_checks.py"
    bad = write_addon(tmp_path, BAD["missing_acl"][0])
    rc, output = run([sys.executable, script, bad])
    assert rc == 1, output
    assert "model 'good.shop' has no access rule" in output
    assert "1 problem(s)" in output
    rc, output = run([sys.executable, script])  # default: our addon
    assert rc == 0, output
    assert "checked shopify_stock_sync:" in output
    assert "0 problem(s)" in output
