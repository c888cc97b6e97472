"""Everything in schema/ is generated here from the models; `datapkg schema --check` finds drift."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path("schema")
_GENERATORS: dict[str, Callable[[], str]] = {}

# Modules that register generators for their own outputs (imported lazily).
PROVIDERS = [
    "datapkg.schemagen",
    "datapkg.tableschema",  # schema/tables/*.schema.json
    "datapkg.emit.jsondoc",  # schema/dataset.schema.json
    "datapkg.emit.jsonld",  # schema/context.jsonld
    "datapkg.vocabfiles",  # schema/vocab.ttl, schema/shapes.ttl
]


def generator(name: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    def register(fn: Callable[[], str]) -> Callable[[], str]:
        _GENERATORS[name] = fn
        return fn

    return register


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def generate_all() -> dict[str, str]:
    for module in PROVIDERS:
        importlib.import_module(module)
    return {name: _GENERATORS[name]() for name in sorted(_GENERATORS)}


def write(directory: Path = SCHEMA_DIR) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    files = generate_all()
    for name, content in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)  # e.g. tables/<name>.schema.json
        (directory / name).write_text(content, encoding="utf-8", newline="\n")
    return sorted(files)


def drift(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of generated files that are missing or differ from what the models give."""
    stale = []
    for name, content in generate_all().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            stale.append(name)
    return stale


def _json_schema(model: type, schema_id: str) -> str:
    schema = model.model_json_schema()  # type: ignore[attr-defined]
    return dump_json({"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id, **schema})


@generator("annotations.schema.json")
def _annotations() -> str:
    from .model import AnnotationFile

    return _json_schema(AnnotationFile, "annotations.schema.json")


@generator("dataset-config.schema.json")
def _dataset_config() -> str:
    from .config import DatasetSpec

    return _json_schema(DatasetSpec, "dataset-config.schema.json")
