"""The layers of src/nigrani (STYLE.md "Where a shared piece goes"), checked on the import graph.

core knows no feature; accounts knows only core; each feature imports core, accounts and
the features below it, never another feature's pages, routes or commands; the product
never imports the demo."""

from __future__ import annotations

import ast
from pathlib import Path

import nigrani

PACKAGE = Path(nigrani.__file__).parent
# lowest first; home (the role home pages) reads every feature below it
FEATURES = (
    "cameras",
    "evidence",
    "canvass",
    "stations",
    "health",
    "analytics",
    "grievances",
    "hearings",
    "home",
)
COMPOSITION = {"app", "cli", "models", "tasks", "__main__", "demo"}
PRESENTATION = {"web", "api", "cli", "views", "pages", "forms", "tasks", "labels"}


def imports_of(path: Path, module: str) -> set[str]:
    """Every nigrani module a file imports (a name imported from a package counts as the
    module it names when there is one), lazy and TYPE_CHECKING imports included."""
    root = path.parents[len(module.split(".")) - 1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("nigrani.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("nigrani."):
                continue
            for alias in node.names:
                candidate = Path(root, *f"{node.module}.{alias.name}".split("."))
                is_module = candidate.with_suffix(".py").exists() or candidate.is_dir()
                found.add(f"{node.module}.{alias.name}" if is_module else node.module)
    return found


def violations(package: Path) -> list[str]:
    """`importer -> imported: why` for every import that breaks the layers."""
    found = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        source = parts[1] if len(parts) > 2 else parts[1].removesuffix(".py")
        for target in sorted(imports_of(path, module)):
            why = _why(source, target.split("."))
            if why:
                found.append(f"{module} -> {target}: {why}")
    return found


def _why(source: str, target: list[str]) -> str | None:
    dest = target[1]
    if dest == source or source in COMPOSITION:
        return None
    if dest == "demo":
        return "the product never imports the demo"
    if source == "core":
        return "core knows no feature"
    if source in ("accounts", "web"):
        return None if dest in ("core", "accounts") else f"{source} knows only core/accounts"
    if dest in ("core", "accounts"):
        return None
    if dest not in FEATURES:
        return f"a feature imports no {dest}"
    if FEATURES.index(dest) > FEATURES.index(source):
        return f"{dest} sits above {source}"
    if len(target) > 2 and target[2] in PRESENTATION:
        return "another feature's pages, routes or commands"
    return None


def test_no_import_breaks_the_layers() -> None:
    assert violations(PACKAGE) == []


def test_each_kind_of_wrong_import_is_caught(tmp_path: Path) -> None:
    package = tmp_path / "nigrani"
    for name, source in {
        "core/clock.py": "from nigrani.cameras import service\n",
        "accounts/roles.py": "import nigrani.grievances.models\n",
        "cameras/service.py": "def f():\n    from nigrani.stations.models import Station\n",
        "stations/clips.py": "from nigrani.canvass.web import incidents\n",
        "evidence/store.py": "from nigrani.cameras import service\n"
        "from nigrani.demo import kanpur\n",
    }.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(source)
    for pkg in ("cameras/web", "grievances", "demo"):
        (package / pkg).mkdir(parents=True, exist_ok=True)
    (package / "cameras/web/sites.py").touch()
    (package / "demo/kanpur.py").touch()
    (package / "canvass/web").mkdir(parents=True)
    (package / "canvass/web/incidents.py").touch()
    assert violations(package) == [
        "nigrani.accounts.roles -> nigrani.grievances.models: accounts knows only core/accounts",
        "nigrani.cameras.service -> nigrani.stations.models: stations sits above cameras",
        "nigrani.core.clock -> nigrani.cameras.service: core knows no feature",
        "nigrani.evidence.store -> nigrani.demo.kanpur: the product never imports the demo",
        "nigrani.stations.clips -> nigrani.canvass.web.incidents: another feature's pages, "
        "routes or commands",
    ]
