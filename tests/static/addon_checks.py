"""Consistency checks of an Odoo 19.0 addon that no OCA tool makes, without Odoo.

Usage: python tests/static/addon_checks.py [--rng-dir DIR] [ADDON_DIR ...]
(default: the repository's ``shopify_stock_sync``; exit status 1 on any problem)

What it checks, each problem reported as ``path:line: message``:

* manifest: parses, ``version`` is ``19.0.x.y.z``, ``license`` is one Odoo 19 knows,
  ``author`` is set, ``depends`` holds ``stock`` and ``queue_job``, every ``data`` and
  ``demo`` file exists;
* every XML file of the addon is well-formed, every CSV data file has an ``id`` column;
* XML ids: every ``ref="..."``, ``ref('...')`` in ``eval``, ``%(...)d``, menu
  ``parent``/``action``, ``groups=`` and CSV ``...:id`` value names an id that is
  defined earlier in load order (data files in manifest order, then demo; records,
  menus, templates, CSV rows, ``xml_id`` entries of ``<function>`` calls, and the
  ids Odoo adds: ``model_*``/``field_*`` of the addon's Python models, a cron's
  ``*_ir_actions_server``, ``_inherits`` parents), or an id of a module installed
  with ``depends`` (see ``KNOWN_CLOSURES``).  Ids of dependency modules are
  accepted unverified: their sources are not part of this repository, and the
  report lists them.  Ids created at run time by Python code are not seen;
* access rules: every model the addon creates with ``_name`` (``Model`` and
  ``TransientModel`` alike, not ``AbstractModel``) has a row in
  ``security/ir.model.access.csv``, and that file is loaded by the manifest;
* views and actions: no ``<tree>`` (renamed ``<list>`` in 18.0), no ``attrs=`` or
  ``states=`` (removed in 17.0), no ``tree`` in ``view_mode``, no field names renamed
  or removed in 18.0/19.0 (``groups_id``, ``category_id``, cron ``numbercall``...);
* ``queue.job.function`` records: the method exists on a Python class of the addon for
  that model (or on an abstract model of the addon it inherits);
* list, search, graph, pivot, calendar and activity views (not inherited ones) are
  validated against Odoo 19's own RELAX NG schemas when ``--rng-dir`` (default:
  ``../shared/odoo19/rng`` beside the repository) exists; otherwise that part is
  skipped and the report says why.  Form and kanban archs are checked by Odoo at
  install only.
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ADDON = REPO / "shopify_stock_sync"
DEFAULT_RNG_DIR = REPO.parent / "shared" / "odoo19" / "rng"

REQUIRED_DEPENDS = ("stock", "queue_job")
# The modules installed along with a dependency (itself included): its manifest's
# depends, transitively, read from Odoo 19.0's manifests (branch 19.0) and from
# queue_job 19.0.2.4.0's.  An XML id may name any of them.  For a dependency not
# listed here the set is unknown, and ids of any module are accepted (noted).
KNOWN_CLOSURES = {
    "stock": frozenset(
        "auth_signup barcodes barcodes_gs1_nomenclature base base_setup bus digest "
        "html_editor http_routing mail portal product resource stock uom web "
        "web_tour".split()
    ),
    "queue_job": frozenset(
        "base base_setup base_sparse_field bus html_editor mail queue_job web "
        "web_tour".split()
    ),
}
# the selection of ir.module.module.license in Odoo 19.0
LICENSES = {
    "GPL-2",
    "GPL-2 or any later version",
    "GPL-3",
    "GPL-3 or any later version",
    "AGPL-3",
    "LGPL-3",
    "Other OSI approved licence",
    "OEEL-1",
    "OPL-1",
    "Other proprietary",
}
VERSION_RE = re.compile(r"^19\.0\.\d+\.\d+\.\d+$")
RNG_VIEW_TYPES = ("list", "search", "graph", "pivot", "calendar", "activity")
# (model, field) -> what happened to it; writing the old name breaks the install
RENAMED_FIELDS = {
    ("ir.actions.act_window", "groups_id"): "renamed group_ids in Odoo 19.0",
    ("ir.actions.server", "groups_id"): "renamed group_ids in Odoo 19.0",
    ("ir.ui.menu", "groups_id"): "renamed group_ids in Odoo 19.0",
    ("ir.ui.view", "groups_id"): "renamed group_ids in Odoo 19.0",
    ("res.users", "groups_id"): "renamed group_ids in Odoo 19.0",
    ("res.groups", "users"): "renamed user_ids in Odoo 19.0",
    ("res.groups", "category_id"): "replaced by privilege_id in Odoo 19.0",
    ("ir.cron", "numbercall"): "removed in Odoo 18.0",
    ("ir.cron", "doall"): "removed in Odoo 18.0",
}
# Odoo also names the parent record of a model with _inherits: a record "x" of
# product.product makes "x_product_template".  Core models that do so (the addon's
# own _inherits are read from its Python).
CORE_INHERITS = {
    "product.product": ("product.template",),
    "res.users": ("res.partner",),
}
DEFINED_BY_FUNCTION_RE = re.compile(r"""['"]xml_id['"]\s*:\s*['"]([\w.]+)['"]""")
REF_CALL_RE = re.compile(r"""\bref\(\s*['"]([\w.]+)['"]\s*\)""")
PERCENT_REF_RE = re.compile(r"%\(([\w.]+)\)d")
XPATH_TREE_RE = re.compile(r"(^|/)tree\b")
# queue_job's own pattern for queue.job.function names: <model.name>.method
JOB_FUNCTION_NAME_RE = re.compile(r"^<([0-9a-z_\.]+)>\.([0-9a-zA-Z_]+)$")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self):
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class Report:
    addon: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems

    def text(self):
        return "\n".join([str(p) for p in self.problems] + self.notes)


@dataclass
class PyModel:
    """What the addon's Python says about one model name."""

    path: str
    line: int
    kind: str = ""  # "Model", "TransientModel", "AbstractModel" when created here
    methods: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    inherits: set[str] = field(default_factory=set)
    delegates: set[str] = field(default_factory=set)  # _inherits parents


def _literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None  # not a literal: computed names are not followed


def _as_list(value):
    if isinstance(value, str):
        return [value]
    return [v for v in value or [] if isinstance(v, str)]


def scan_python(addon: Path) -> tuple[dict[str, PyModel], list[Problem]]:
    """Models the addon's Python creates or extends, with their methods and fields."""
    models: dict[str, PyModel] = {}
    problems = []
    for py in sorted(addon.rglob("*.py")):
        rel = py.relative_to(addon.parent).as_posix()
        if "tests" in py.relative_to(addon).parts:
            continue
        try:
            tree = ast.parse(py.read_text(encoding="utf-8"))
        except SyntaxError as exc:
            problems.append(Problem(rel, exc.lineno, f"Python syntax error: {exc.msg}"))
            continue
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            attrs, methods, fields_ = {}, set(), set()
            for stmt in cls.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                    if not isinstance(target, ast.Name):
                        continue
                    if target.id in ("_name", "_inherit", "_inherits"):
                        attrs[target.id] = _literal(stmt.value)
                    elif (
                        isinstance(stmt.value, ast.Call)
                        and isinstance(stmt.value.func, ast.Attribute)
                        and ast.unparse(stmt.value.func.value) == "fields"
                    ):
                        fields_.add(target.id)
                elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    methods.add(stmt.name)
            name = attrs.get("_name") if isinstance(attrs.get("_name"), str) else None
            inherit = _as_list(attrs.get("_inherit"))
            if not name and not inherit:
                continue  # not an Odoo model class
            bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in cls.bases]
            model = name or inherit[0]  # Odoo's own rule when _name is absent
            info = models.setdefault(model, PyModel(rel, cls.lineno))
            info.methods |= methods
            info.fields |= fields_
            info.inherits |= {i for i in inherit if i != model}
            if isinstance(attrs.get("_inherits"), dict):
                info.delegates |= set(attrs["_inherits"])
            if name and name not in inherit:  # a model created here
                info.path, info.line = rel, cls.lineno
                kinds = {"Model", "TransientModel", "AbstractModel"} & set(bases)
                info.kind = kinds.pop() if kinds else "Model"
    return models, problems


def _xmlid(model: str) -> str:
    return "model_" + model.replace(".", "_")


class AddonChecker:
    def __init__(self, addon, rng_dir=None, required_depends=REQUIRED_DEPENDS):
        self.addon = Path(addon).resolve()
        self.name = self.addon.name
        self.required_depends = required_depends
        self.rng_dir = Path(rng_dir) if rng_dir else None
        self.report = Report(self.name)
        self.manifest = {}
        self.depends = set()
        self.installed = set()  # depends with what they install, when all known
        self.unknown_closures = set()
        self.models: dict[str, PyModel] = {}
        self.defined: dict[str, str] = {}  # local xml id -> where it was defined
        self.unverified: dict[str, set[str]] = {}  # module -> foreign ids used
        self.validators = {}
        self.python_ok = True

    # -- helpers ---------------------------------------------------------------
    def problem(self, path, line, message):
        self.report.problems.append(Problem(str(path), line, message))

    def rel(self, path: Path) -> str:
        return path.relative_to(self.addon.parent).as_posix()

    def check_ref(self, ref, path, line):
        ref = ref.strip()
        if not ref:
            return
        module, _, xid = ref.rpartition(".")
        if module in ("", self.name):
            implicit = xid.startswith(("model_", "field_"))
            if xid not in self.defined and (self.python_ok or not implicit):
                self.problem(
                    path,
                    line,
                    f"unknown XML id '{ref}': not defined in {self.name} before this "
                    "point (data files load in manifest order)",
                )
        elif module in self.installed or self.unknown_closures:
            self.unverified.setdefault(module, set()).add(xid)
        else:
            self.problem(
                path,
                line,
                f"XML id '{ref}' belongs to module '{module}', which is not in depends "
                f"{sorted(self.depends)} nor installed with them",
            )

    # -- the checks ------------------------------------------------------------
    def run(self) -> Report:
        if not self.check_manifest():
            return self.report
        self.models, problems = scan_python(self.addon)
        self.report.problems += problems
        self.python_ok = not problems  # else model ids are unknown: not reported
        for model, info in self.models.items():
            self.defined[_xmlid(model)] = "Python"
            for fname in info.fields:
                self.defined[f"field_{model.replace('.', '_')}__{fname}"] = "Python"
        self.load_rng()
        self.check_xml_well_formed()
        files = self.manifest.get("data", []) + self.manifest.get("demo", [])
        acl_rows = None
        for entry in files:
            path = self.addon / entry
            if not path.is_file():
                continue  # reported by check_manifest
            if path.suffix == ".xml":
                self.check_xml_data(path)
            elif path.suffix == ".csv":
                rows = self.check_csv_data(path)
                if path.name == "ir.model.access.csv":
                    acl_rows = (acl_rows or []) + rows
        self.check_access(acl_rows)
        created = sum(1 for info in self.models.values() if info.kind)
        self.report.notes.insert(
            0,
            f"checked {self.name}: {created} model(s) created in Python, "
            f"{len(files)} data/demo file(s), RNG "
            + ("on" if self.validators else "off"),
        )
        if self.unknown_closures:
            self.report.notes.append(
                "note: what "
                + ", ".join(sorted(self.unknown_closures))
                + " install(s) is unknown here: ids of any module were accepted"
            )
        for module, ids in sorted(self.unverified.items()):
            self.report.notes.append(
                f"note: {len(ids)} id(s) of '{module}' accepted unverified "
                f"(its source is not in this repository): {', '.join(sorted(ids))}"
            )
        return self.report

    def check_manifest(self) -> bool:
        path = self.addon / "__manifest__.py"
        rel = self.rel(path)
        try:
            self.manifest = ast.literal_eval(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError) as exc:
            self.problem(rel, None, f"manifest cannot be read: {exc}")
            return False
        if not isinstance(self.manifest, dict):
            self.problem(rel, None, "manifest is not a dict")
            return False
        version = self.manifest.get("version", "")
        if not VERSION_RE.match(str(version)):
            self.problem(rel, None, f"version '{version}' is not 19.0.x.y.z")
        license_ = self.manifest.get("license")
        if license_ not in LICENSES:
            self.problem(rel, None, f"license {license_!r} is not one Odoo 19.0 knows")
        author = self.manifest.get("author")
        if not isinstance(author, str) or not author.strip():
            self.problem(rel, None, "author is missing")
        self.depends = set(self.manifest.get("depends") or [])
        self.installed = {"base"} | self.depends
        for dep in self.depends:
            if dep in KNOWN_CLOSURES:
                self.installed |= KNOWN_CLOSURES[dep]
            elif dep != "base":
                self.unknown_closures.add(dep)
        for dep in self.required_depends:
            if dep not in self.depends:
                self.problem(rel, None, f"depends lacks '{dep}'")
        for key in ("data", "demo"):
            for entry in self.manifest.get(key, []):
                if not (self.addon / entry).is_file():
                    self.problem(
                        rel, None, f"'{entry}' is listed in {key} but does not exist"
                    )
        return True

    def load_rng(self):
        if self.rng_dir is None:
            self.report.notes.append(
                "note: RNG validation of views skipped: no RNG directory given"
            )
            return
        if not self.rng_dir.is_dir():
            self.report.notes.append(
                f"note: RNG validation of views skipped: {self.rng_dir} does not exist "
                "(Odoo 19's odoo/addons/base/rng files are not in this repository)"
            )
            return
        for view_type in RNG_VIEW_TYPES:
            rng = self.rng_dir / f"{view_type}_view.rng"
            if rng.is_file():
                self.validators[view_type] = etree.RelaxNG(etree.parse(str(rng)))

    def check_xml_well_formed(self):
        for path in sorted(self.addon.rglob("*.xml")):
            try:
                etree.parse(str(path))
            except etree.XMLSyntaxError as exc:
                self.problem(self.rel(path), exc.lineno, f"XML syntax error: {exc.msg}")

    def check_csv_data(self, path: Path) -> list[dict]:
        rel = self.rel(path)
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            header = reader.fieldnames or []
        if "id" not in header:
            self.problem(rel, 1, "CSV data file has no 'id' column")
            return rows
        for number, row in enumerate(rows, start=2):
            for column in header:
                if column.endswith(":id") and row.get(column):
                    for ref in row[column].split(","):
                        self.check_ref(ref, rel, number)
            if row.get("id"):
                self.defined[row["id"].split(".", 1)[-1]] = rel
        return rows

    def check_xml_data(self, path: Path):
        """Walk one data file in document order: refs first, then what it defines."""
        rel = self.rel(path)
        try:
            root = etree.parse(str(path)).getroot()
        except etree.XMLSyntaxError:
            return  # reported by check_xml_well_formed
        for node in root.iter(etree.Element):
            if node.tag == "function":  # ir.model.data._update_xmlids and the like
                self.define_from_function(node, rel)
            for ref in self.refs_of(node):
                self.check_ref(ref, rel, node.sourceline)
            xid = node.get("id")
            if xid and node.tag in ("record", "menuitem", "template", "asset"):
                if "." in xid and not xid.startswith(self.name + "."):
                    # overrides another module's record
                    self.check_ref(xid, rel, node.sourceline)
                else:
                    xid = xid.split(".", 1)[-1]
                    self.defined[xid] = rel
                    for implied in self.implied_ids(node, xid):
                        self.defined[implied] = rel
            if node.tag == "record":
                self.check_record(node, rel)

    def implied_ids(self, node, xid):
        """Ids Odoo creates along with a record: its cron's server action, the
        parent records of an _inherits model."""
        model = node.get("model") if node.tag == "record" else None
        if model == "ir.cron":
            yield xid + "_ir_actions_server"
        parents = set(CORE_INHERITS.get(model, ()))
        if model in self.models:
            parents |= self.models[model].delegates
        for parent in sorted(parents):
            yield f"{xid}_{parent.replace('.', '_')}"

    @staticmethod
    def refs_of(node):
        """The XML ids one element refers to, in its attributes."""
        refs = []
        for attr, value in node.attrib.items():
            if attr == "ref" or (
                node.tag == "menuitem" and attr in ("parent", "action")
            ):
                refs.append(value)
            refs += REF_CALL_RE.findall(value) + PERCENT_REF_RE.findall(value)
        for group in (node.get("groups") or "").split(","):
            if group.strip():
                refs.append(group.strip().lstrip("!"))
        return refs

    def define_from_function(self, node, rel):
        for sub in node.iter(etree.Element):
            for value in sub.attrib.values():
                for xid in DEFINED_BY_FUNCTION_RE.findall(value):
                    if xid.partition(".")[0] == self.name or "." not in xid:
                        self.defined[xid.rpartition(".")[2]] = rel

    def check_record(self, record, rel):
        model = record.get("model")
        line = record.sourceline
        fields_ = {f.get("name"): f for f in record.findall("field")}
        for fname in fields_:
            if (model, fname) in RENAMED_FIELDS:
                self.problem(
                    rel,
                    fields_[fname].sourceline,
                    f"{model} field '{fname}' {RENAMED_FIELDS[model, fname]}",
                )
        if model == "ir.ui.view" and "arch" in fields_:
            self.check_view(fields_, rel)
        elif model in ("ir.actions.act_window", "ir.actions.act_window.view"):
            if "view_mode" in fields_:
                modes = (fields_["view_mode"].text or "").replace(" ", "").split(",")
                if "tree" in modes:
                    self.problem(
                        rel,
                        fields_["view_mode"].sourceline,
                        "view_mode 'tree' was renamed 'list' in Odoo 18.0",
                    )
        elif model == "queue.job.function":
            self.check_job_function(fields_, rel, line)

    def check_view(self, fields_, rel):
        arch = next(iter(fields_["arch"].iterchildren(etree.Element)), None)
        if arch is None:
            return
        for node in arch.iter(etree.Element):
            if node.tag == "tree":
                self.problem(
                    rel, node.sourceline, "<tree> view: renamed <list> in Odoo 18.0"
                )
            if node.tag == "xpath" and XPATH_TREE_RE.search(node.get("expr", "")):
                self.problem(
                    rel,
                    node.sourceline,
                    "xpath targets <tree>: renamed <list> in Odoo 18.0",
                )
            for attr in ("attrs", "states"):
                if node.get(attr) is not None:
                    self.problem(
                        rel,
                        node.sourceline,
                        f"{attr}= was removed in Odoo 17.0: use invisible=, "
                        "readonly=, required= with a Python expression",
                    )
        validator = self.validators.get(arch.tag)
        if validator is not None and "inherit_id" not in fields_:
            # validate the arch alone, as Odoo does at install
            standalone = etree.fromstring(etree.tostring(arch))
            if not validator.validate(standalone):
                # libxml2 adds "Expecting an element X, got nothing" for every
                # alternative it tried: keep those only when there is nothing else
                errors = list(validator.error_log)
                errors = (
                    [e for e in errors if not e.message.startswith("Expecting an ")]
                    or errors[-1:]
                    or [None]
                )
                seen = set()
                for error in errors:
                    text = error.message if error else "invalid"
                    if text in seen:
                        continue
                    seen.add(text)
                    line = arch.sourceline + (error.line - 1 if error else 0)
                    self.problem(
                        rel, line, f"{arch.tag} view fails Odoo 19 RNG: {text}"
                    )

    def check_job_function(self, fields_, rel, line):
        """A job function names its model by model_id + method, or by name."""
        text = {k: (v.text or "").strip() for k, v in fields_.items()}
        by_name = JOB_FUNCTION_NAME_RE.match(text.get("name", ""))
        if by_name:
            model, method = by_name.groups()
            shown = model
            known = model in self.models
        elif "model_id" in fields_ and text.get("method"):
            method = text["method"]
            shown = fields_["model_id"].get("ref", "")
            xid = shown.rpartition(".")[2]
            model = next((m for m in self.models if _xmlid(m) == xid), None)
            known = model is not None
        else:
            self.problem(
                rel,
                line,
                "queue.job.function needs model_id and method, or a name "
                "'<model.name>.method'",
            )
            return
        if not known:
            if self.python_ok:
                self.problem(
                    rel,
                    line,
                    f"queue.job.function on '{shown}': no Python class of {self.name} "
                    "creates or extends that model",
                )
        elif method not in self.methods_of(model):
            self.problem(
                rel,
                line,
                f"queue.job.function method '{method}' not found on model '{model}' "
                f"in {self.name}'s Python",
            )

    def methods_of(self, model, seen=None):
        """Methods the addon gives `model`, including from its own abstract mixins."""
        seen = seen if seen is not None else set()
        if model in seen or model not in self.models:
            return set()
        seen.add(model)
        info = self.models[model]
        methods = set(info.methods)
        for parent in info.inherits:
            methods |= self.methods_of(parent, seen)
        return methods

    def check_access(self, acl_rows):
        acl = self.addon / "security" / "ir.model.access.csv"
        if acl.exists() and acl_rows is None:
            self.problem(
                self.rel(acl),
                None,
                "not listed in the manifest's data: Odoo never loads these rules",
            )
        covered = {
            row.get("model_id:id", "").removeprefix(self.name + ".")
            for row in acl_rows or []
        }
        for model, info in sorted(self.models.items()):
            if (
                info.kind in ("Model", "TransientModel")
                and _xmlid(model) not in covered
            ):
                self.problem(
                    info.path,
                    info.line,
                    f"model '{model}' has no access rule in "
                    "security/ir.model.access.csv (Odoo 19 refuses access to a model "
                    "without one, transient models included)",
                )


def check_addon(addon, rng_dir=None, required_depends=REQUIRED_DEPENDS) -> Report:
    return AddonChecker(addon, rng_dir, required_depends).run()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("addons", nargs="*", type=Path, default=[DEFAULT_ADDON])
    parser.add_argument(
        "--rng-dir",
        type=Path,
        default=DEFAULT_RNG_DIR,
        help="directory with Odoo 19's *_view.rng and common.rng "
        "(default: ../shared/odoo19/rng beside the repository)",
    )
    args = parser.parse_args(argv)
    total = 0
    for addon in args.addons:
        report = check_addon(addon, args.rng_dir)
        if report.text():
            sys.stdout.write(report.text() + "\n")
        total += len(report.problems)
    sys.stdout.write(f"{total} problem(s)\n")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
