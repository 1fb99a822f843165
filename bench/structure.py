"""The shape of the code, measured: `python -m bench.structure`.

Reads every module of the project's own packages (articles/, newsroom/) with `ast`, never
importing them, and reports what the design's rooms promise (README.md, "The code"):
- import circles: strongly connected groups of modules that import each other, counting
  module-level imports only (an import inside a function is reported on its own below);
- imports of the project's own code inside functions (the usual way to dodge a circle),
  and of those, the ones that load models;
- what `articles/cache/` imports from the rest of the project (it must import nothing);
- the length of `articles/models.py`.

tests/test_structure.py holds the limits; this module only measures.
"""

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("articles", "newsroom")
SKIP_PARTS = {"migrations", "__pycache__"}


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    top_imports: set = field(default_factory=set)
    function_imports: list = field(default_factory=list)  # (line, imported module)


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(module, node):
    """The absolute names an import statement refers to (modules, or module.attribute)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.name.split(".")
        if not module.is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    return [f"{prefix}.{alias.name}" for alias in node.names]


def collect():
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if SKIP_PARTS & set(path.relative_to(ROOT).parts):
                continue
            name = module_name(path)
            modules[name] = Module(name, path, path.name == "__init__.py")
    for module in modules.values():
        tree = ast.parse(module.path.read_text(), str(module.path))
        _walk(module, tree, inside_function=False, modules=modules)
    return modules


def _own(target, modules):
    """The project module an imported name lives in (`articles.models.Story` → articles.models)."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def _walk(module, node, inside_function, modules):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            for target in resolve(module, child):
                own = _own(target, modules)
                if own is None or own == module.name:
                    continue
                if inside_function:
                    if (child.lineno, own) not in module.function_imports:
                        module.function_imports.append((child.lineno, own))
                else:
                    module.top_imports.add(own)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            _walk(module, child, True, modules)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            continue  # annotations only: never executed
        else:
            _walk(module, child, inside_function, modules)


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def circles(modules):
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph = {name: sorted(m.top_imports) for name, m in modules.items()}
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def strongconnect(start):
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        result.append(sorted(component))

    for name in graph:
        if name not in index:
            strongconnect(name)
    return sorted(result, key=len, reverse=True)


def is_models_module(name):
    return name.rsplit(".", 1)[-1] == "models"


def function_level_model_imports(modules):
    return [
        (m.name, line, target)
        for m in modules.values()
        for line, target in m.function_imports
        if is_models_module(target)
    ]


def cache_imports(modules):
    """Project modules outside articles/cache/ that the cache package imports."""
    return sorted(
        (m.name, target)
        for m in modules.values()
        if m.name == "articles.cache" or m.name.startswith("articles.cache.")
        for target in m.top_imports | {t for _, t in m.function_imports}
        if not (target == "articles.cache" or target.startswith("articles.cache."))
        and target != "articles"
    )


# The rooms, lowest first (README.md, "The code"): a module may import its own room and
# the rooms below it, never one above. The few core modules the photo library uses
# (image work, roles, the worker's task mechanism) and the project's own helpers that
# import no app (newsroom/auth.py, middleware.py …) sit under it; the project's settings,
# URLs and warm-up, which put the apps together, above everything.
ROOMS = (
    ("cache", ("articles.cache",)),
    (
        "foundation",
        ("articles.images", "articles.roles", "articles.tasks", "articles", "newsroom"),
    ),
    ("photos", ("articles.photos",)),
    ("story core", ("articles.",)),
    ("desks", ("articles.fronts", "articles.live", "articles.wire")),
    # The content API and syndication out: above the core and every desk (it serves
    # their content), below the project, which mounts it.
    ("api", ("articles.api",)),
    (
        "project",
        ("articles.demo", "newsroom.settings", "newsroom.urls", "newsroom.warmup", "newsroom.wsgi"),
    ),
)


def room_of(name):
    """The index in ROOMS of the room `name` belongs to (the most specific prefix)."""
    best, best_length = None, -1
    for index, (_, prefixes) in enumerate(ROOMS):
        for prefix in prefixes:
            matches = name == prefix or (
                name.startswith(prefix) if prefix.endswith(".") else name.startswith(prefix + ".")
            )
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def desk_of(name):
    for prefix in ROOMS[4][1]:
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return None


def upward_imports(modules):
    """(module, imported module) where the import goes to a room above the importer's,
    or from one desk to another (desks depend on the core, not on each other)."""
    found = []
    for module in modules.values():
        targets = module.top_imports | {target for _, target in module.function_imports}
        for target in sorted(targets):
            own, theirs = room_of(module.name), room_of(target)
            sideways = desk_of(module.name) and desk_of(target) not in (None, desk_of(module.name))
            if theirs > own or sideways:
                found.append((module.name, target))
    return found


def models_lines():
    return len((ROOT / "articles" / "models.py").read_text().splitlines())


def main():
    modules = collect()
    found = circles(modules)
    print(f"modules read: {len(modules)}")
    largest = max(map(len, found), default=0)
    print(f"import circles (module level): {len(found)}; largest: {largest}")
    for component in found:
        print(f"  {len(component)}: {', '.join(component)}")
    inner = [(m.name, line, t) for m in modules.values() for line, t in m.function_imports]
    print(f"imports of the project's own code inside functions: {len(inner)}")
    for name, line, target in inner:
        print(f"  {name}:{line} -> {target}")
    model_imports = function_level_model_imports(modules)
    print(f"  of them, of models: {len(model_imports)}")
    cache = cache_imports(modules)
    print(f"articles/cache/ imports from the apps: {len(cache)}")
    for name, target in cache:
        print(f"  {name} -> {target}")
    upward = upward_imports(modules)
    print(f"imports from a room up (cache < photos < story core < desks < api): {len(upward)}")
    for name, target in upward:
        print(f"  {name} -> {target}")
    print(f"articles/models.py: {models_lines()} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
