# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The addon as Odoo sees it: installed, its dependencies resolved, the engine usable.

These run inside a database that has the addon installed (pytest-odoo, or Odoo's own
``--test-enable``).  The engine's behaviour is tested with plain pytest elsewhere; here
we only check that it is reachable the way the Odoo models will reach it.
"""

import ast
import importlib
import importlib.metadata
import pathlib
import sys

# Odoo's own Requirement (packaging's, or its fallback when packaging is absent)
from odoo.modules.module import (
    Manifest,
    Requirement,
    check_python_external_dependency,
)
from odoo.tests import TransactionCase, tagged

ADDON = "shopify_stock_sync"


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manifest = Manifest.for_addon(ADDON)
        cls.Module = cls.env["ir.module.module"]

    def _module(self, name):
        module = self.Module.search([("name", "=", name)])
        self.assertEqual(len(module), 1, f"{name} is not known to ir.module.module")
        return module

    def test_addon_and_dependencies_installed(self):
        for name in (ADDON, "stock", "queue_job"):
            self.assertEqual(self._module(name).state, "installed", name)

    def test_declared_dependencies_recorded(self):
        module = self._module(ADDON)
        self.assertEqual(
            set(module.dependencies_id.mapped("name")),
            set(self.manifest["depends"]),
        )
        self.assertLessEqual({"stock", "queue_job"}, set(self.manifest["depends"]))

    def test_installed_version_is_the_manifest_version(self):
        module = self._module(ADDON)
        self.assertTrue(self.manifest["version"].startswith("19.0."))
        self.assertEqual(module.latest_version, self.manifest["version"])
        self.assertEqual(module.license, self.manifest["license"])

    def test_external_python_dependencies_resolved(self):
        pydeps = self.manifest["external_dependencies"]["python"]
        self.assertIn("requests", pydeps)
        for pydep in pydeps:
            name = Requirement(pydep).name
            # A PyPI distribution name, not an import name (Odoo accepts those with
            # a warning).
            self.assertTrue(importlib.metadata.version(name), name)
            with self.assertNoLogs("odoo.modules.module", level="WARNING"):
                check_python_external_dependency(pydep)

    def test_queue_job_usable(self):
        self.assertIn("queue.job", self.env)
        self.assertTrue(callable(getattr(self.env["res.partner"], "with_delay", None)))

    def test_engine_importable_as_addon_subpackage(self):
        engine = importlib.import_module(f"odoo.addons.{ADDON}.engine")
        data = importlib.import_module(f"odoo.addons.{ADDON}.engine.data")
        self.assertIs(sys.modules[f"odoo.addons.{ADDON}.engine"], engine)
        self.assertTrue(
            pathlib.Path(data.__file__).is_relative_to(pathlib.Path(self.manifest.path))
        )
        key = data.LevelKey(
            inventory_item_id="gid://shopify/InventoryItem/30322695",
            location_id="gid://shopify/Location/124656943",
        )
        self.assertEqual(
            key.level_gid,
            "gid://shopify/InventoryLevel/124656943?inventory_item_id=30322695",
        )
        # frozen and ordered, as the engine relies on them as dict keys and sort keys
        self.assertEqual(
            {key, data.LevelKey(key.inventory_item_id, key.location_id)}, {key}
        )
        change = data.LevelChange(key=key, odoo_quantity=4.0, ref=7)
        self.assertEqual(change.committed_known_to_odoo, 0)
        self.assertEqual(change.subject, data.Subject())
        self.assertEqual(data.Direction("two_way"), data.Direction.TWO_WAY)

    def test_engine_never_imports_odoo(self):
        engine_dir = pathlib.Path(self.manifest.path) / "engine"
        sources = sorted(engine_dir.rglob("*.py"))
        self.assertTrue(sources)
        for source in sources:
            tree = ast.parse(source.read_text(), filename=str(source))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                else:
                    continue
                for name in names:
                    self.assertNotEqual(
                        name.split(".")[0], "odoo", f"{source.name} imports {name}"
                    )
