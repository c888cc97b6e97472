"""Validation reports: problems with stable codes plus coverage figures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DatapkgError, Problem, ProblemCounts, UsageError
from .seeds import ActorIndex, Seeds, iter_documents, merge_actors, open_seeds


@dataclass
class Report(ProblemCounts):
    problems: list[Problem] = field(default_factory=list)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    strict: bool = False

    @property
    def valid(self) -> bool:
        return not self.errors and not (self.strict and self.warnings)

    def totals(self) -> dict[str, Any]:
        docs = list(self.documents.values())
        total = {
            k: sum(d.get(k, 0) for d in docs)
            for k in ("sentences", "sentences_covered", "units", "recommendations", "relations", "mentions")
        }
        total["documents"] = len(docs)
        total["sentence_coverage"] = (
            round(total["sentences_covered"] / total["sentences"], 4) if total["sentences"] else 1.0
        )
        total["actors_unmentioned"] = sum(len(d.get("actors_unmentioned", [])) for d in docs)
        total["units_unrelated"] = sum(len(d.get("units_unrelated", [])) for d in docs)
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "exit_code": int(not self.valid),
            "strict": self.strict,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "totals": self.totals(),
            "documents": self.documents,
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        lines = [p.format() for p in self.problems]
        t = self.totals()
        lines.append(
            f"{t['documents']} document(s): {t['units']} units ({t['recommendations']} recommendations), "
            f"{t['relations']} relations, {t['mentions']} mentions; sentence coverage "
            f"{t['sentence_coverage']:.1%} ({t['sentences_covered']}/{t['sentences']}); "
            f"{t['actors_unmentioned']} actor(s) unmentioned, {t['units_unrelated']} unit(s) unrelated"
        )
        verdict = "valid" if self.valid else "invalid"
        lines.append(
            f"{verdict}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
            + (" (strict: warnings count as errors)" if self.strict else "")
        )
        return "\n".join(lines) + "\n"


def validate(seeds_dir: Path | str, strict: bool = False) -> Report:
    """Validate every document of a seeds directory; data problems go into the report."""
    report = Report(strict=strict)
    try:
        seeds: Seeds = open_seeds(seeds_dir)
        results = iter_documents(seeds)
        index = ActorIndex()
        for result in results:
            merge_actors(index, result)
            report.problems.extend(result.problems)
            report.documents[result.doc_id] = result.stats
    except UsageError:
        raise
    except DatapkgError as exc:
        report.problems.extend(exc.problems)
    return report
