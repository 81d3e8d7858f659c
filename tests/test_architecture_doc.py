"""docs/ARCHITECTURE.md describes the code as it is: every file, folder and dotted name it cites exists."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
CITED = re.compile(r"`([^`\s]+)`")
# a repository path (a bare *.json name is a run's own file, e.g. run_config.json, not the repository's)
PATH_LIKE = re.compile(r"^[\w.\-]+(/[\w.\-*{}<>]*)+$|^[\w\-]+\.(py|sh|md|txt|ini)$")
FILE = re.compile(r"\.(py|sh|md|json|txt|ini)$")
DOTTED = re.compile(r"^([a-z_]+(?:\.[a-z_]+)*)\.([A-Za-z_]\w*)(\(\))?$")


def cited() -> list[str]:
    return CITED.findall(DOC.read_text(encoding="utf-8"))


def defined_names(path: Path) -> set[str]:
    """Top-level names of a module: functions, classes, assignments and imports, and methods of its classes."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


CLASS_MEMBER = re.compile(r"^([A-Z]\w*)\.([A-Za-z_]\w*)$")
PACKAGES = ("tasks", "engine", "utils", "pipeline", "reporting")


def class_members() -> dict:
    """Class name -> the names its body defines, over the packages' modules."""
    members = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    names = members.setdefault(node.name, set())
                    for item in node.body:
                        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                            names.add(item.name)
                        elif isinstance(item, ast.Assign):
                            names |= {t.id for t in item.targets if isinstance(t, ast.Name)}
                        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                            names.add(item.target.id)
    return members


def test_cited_class_members_exist():
    members, checked, missing = class_members(), 0, []
    for token in cited():
        match = CLASS_MEMBER.match(token)
        if not match or FILE.search(token):
            continue
        checked += 1
        if match.group(2) not in members.get(match.group(1), set()):
            missing.append(token)
    assert checked >= 10, f"{DOC} cites too few contract members ({checked})"
    assert not missing, f"{DOC} cites class members the code does not define: {missing}"


def module_file(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_cited_paths_exist():
    paths = [c.rstrip("/") for c in cited() if PATH_LIKE.match(c) and not re.search(r"[*{}<>]", c)
             and not c.startswith(("../", "http"))]
    assert len(paths) >= 20, f"{DOC} cites too few files to describe the layers: {paths}"
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"{DOC} cites files that do not exist: {missing}"


def test_cited_names_exist():
    checked, missing = 0, []
    for token in cited():
        match = DOTTED.match(token)
        if not match or "/" in token or FILE.search(token):
            continue
        module, name = match.group(1), match.group(2)
        path = module_file(module)
        if path is None:
            # `Class.method` or `module.Class.method`: the last two parts are a class and its member
            parts = token.rstrip("()").split(".")
            path = module_file(".".join(parts[:-2])) if len(parts) > 2 else None
            name = parts[-1]
            if path is None:
                continue
        checked += 1
        if name not in defined_names(path):
            missing.append(token)
    assert checked >= 15, f"{DOC} cites too few code names ({checked}) to describe the contracts"
    assert not missing, f"{DOC} cites names the code does not define: {missing}"


def test_recipes_name_the_files_they_touch():
    text = DOC.read_text(encoding="utf-8")
    for recipe in ("Adding a task", "Adding a kind", "Adding a language", "Adding a report section"):
        assert re.search(rf"^#+ {recipe}", text, re.MULTILINE), f"{DOC}: no section '{recipe}'"


def imports_of(path: Path, modules: dict) -> set:
    """The repository modules a module imports, at import time or inside its functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found


def test_no_import_cycle():
    """The layers' modules import one another without a cycle (the direction the document gives), checked over
    every import, those inside functions included."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            modules[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    graph = {name: imports_of(path, modules) - {name} for name, path in modules.items()}
    done, path_stack = set(), []

    def visit(name):
        if name in path_stack:
            raise AssertionError(f"import cycle: {' -> '.join(path_stack[path_stack.index(name):] + [name])}")
        if name in done:
            return
        path_stack.append(name)
        for dependency in sorted(graph[name]):
            visit(dependency)
        path_stack.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    allowed = {"utils": {"utils"}, "tasks": {"tasks", "utils"}, "engine": {"engine", "tasks", "utils"},
               "reporting": {"reporting", "tasks", "utils"}, "pipeline": set(PACKAGES)}
    against = sorted((a, b) for a, deps in graph.items() for b in deps
                     if b.split(".")[0] not in allowed[a.split(".")[0]])
    assert not against, f"imports against the layers' direction (docs/ARCHITECTURE.md): {against}"
