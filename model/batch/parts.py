"""An export in parts (a folder or a glob of CSV/Parquet files, as Spark, Hive or a warehouse's unload
writes them), scored part by part into a folder of Parquet parts and one errors file.

Why a module of its own: every engine (``model.batch.engines``) scores the same parts the same way
and only decides where each part runs. A part is scored by ``score_file`` exactly as a file on its
own would be (same readers, validation, mapping, scoring, errors; its records numbered from 1), into
a temporary folder beside ``--out``; the errors file names each problem's part (``file``) before
its ``row``. Only when every part is done does the folder replace ``--out`` (a previous run's
parts, never anything else) and the errors file appear: an interrupted or failed run leaves nothing.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.batch import pipeline
from model.batch.mapping import ColumnMapping
from model.batch.pipeline import Summary
from model.batch.sinks import ERROR_COLUMNS, KEYED_ERROR_COLUMNS, check_errors_name
from model.errors import InputError, ModelLoadError

__all__ = [
    "PART_ERROR_COLUMNS",
    "Part",
    "PartResult",
    "Parts",
    "find_parts",
    "is_parts",
    "loaded_model",
    "score_part",
]

PART_ERROR_COLUMNS = ["file", *ERROR_COLUMNS]  # the errors file of a run over parts
_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz", ".parquet", ".pq")


def is_parts(input_path: str | os.PathLike[str]) -> bool:
    """Whether ``input_path`` names parts (a folder, or a glob that is no file's name) rather than a file."""
    p = Path(input_path)
    return p.is_dir() or (not p.exists() and glob.has_magic(str(input_path)))


@dataclass(frozen=True)
class Part:
    """One input file, where its scores go (relative to the output folder) and its name in the errors file."""

    path: Path
    name: str  # relative to the input folder (or as the glob matched it): the errors file's ``file``
    output: str  # relative path of its Parquet part


def find_parts(input_path: str | os.PathLike[str]) -> list[Part]:
    """The CSV/Parquet files of a folder (its subfolders too, as Hive partitions write them; names
    starting with ``_`` or ``.``, such as ``_SUCCESS`` or checksums, are not data) or of a glob, in
    name order; a file is one part. Raises ``InputError`` when there are none, or when two would
    write the same part."""
    text = str(input_path)
    root = Path(input_path)
    if root.is_file():
        found, names = [root], {root: root.name}
    elif root.is_dir():
        found = [p for p in root.rglob("*") if p.is_file() and not _hidden(p.relative_to(root))]
        names = {p: p.relative_to(root).as_posix() for p in found}
    elif glob.has_magic(text) and not root.exists():
        found = [Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()]
        base = Path(os.path.commonpath([str(p.parent) for p in found])) if found else Path()
        names = {p: p.relative_to(base).as_posix() for p in found}
    else:
        raise InputError(f"{text}: no such folder, and no glob that matches files")
    data = sorted((p for p in found if p.name.lower().endswith(_SUFFIXES)), key=lambda p: names[p])
    if not data:
        others = f" (it holds {len(found)} other file(s))" if found else ""
        raise InputError(f"{text}: no CSV or Parquet parts (.csv, .csv.gz, .tsv, .txt, .parquet, .pq){others}")
    parts: list[Part] = []
    seen: dict[str, str] = {}  # output name -> the part scored into it
    for p in data:  # (absolute: a worker elsewhere on a shared file system may run in another folder)
        name = names[p]
        lower = name.lower()
        stem = name[: len(name) - len(next(s for s in _SUFFIXES if lower.endswith(s)))]
        out = f"{stem}.parquet"
        if out in seen:
            raise InputError(f"{seen[out]} and {name} would both be scored into {out}: rename one")
        seen[out] = name
        parts.append(Part(p.absolute(), name, out))
    return parts


def _hidden(rel: Path) -> bool:
    return any(part.startswith(("_", ".")) for part in rel.parts)


@dataclass
class PartResult:
    """What scoring one part did (``score_file``'s summary, in plain values a worker can send back)."""

    n_read: int
    n_scored: int
    n_rejected: int
    warnings: list[str] = field(default_factory=list)
    model_version: str = ""
    id_column: str | None = None  # the respondent key this part's rows were named by, if any
    rejected_keys: list[tuple[int, str]] = field(default_factory=list)  # (record in the part, key)
    duplicates: list[tuple[str, list[int]]] = field(default_factory=list)  # within the part


def score_part(
    part: Part,
    folder: str,
    errors: str,
    *,
    mapping: ColumnMapping | None = None,
    as_of: Any = None,
    model_dir: str | None = None,
    model_version: str | None = None,
    id_column: str | None = None,
) -> PartResult:
    """Score one part into ``folder`` (its Parquet part) and ``errors`` (its own errors file), as
    ``exodds score`` scores a file. Runs wherever an engine sends it: loads the model itself (once a
    process) and refuses one that is not ``model_version``, the model the run was started with."""
    model = loaded_model(model_dir)
    if model_version is not None and model.version != model_version:
        raise ModelLoadError(
            f"this worker's model is {model.version}, the run's is {model_version}: every worker must have the "
            "same exodds and model (or see the same --model directory)"
        )
    out = Path(folder) / part.output
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = pipeline.score_file(
        part.path, out, errors, mapping=mapping, as_of=as_of, model=model, id_column=id_column
    )
    return PartResult(
        summary.n_read,
        summary.n_scored,
        summary.n_rejected,
        list(summary.warnings),
        model.version,
        summary.id_column,
        list(summary.rejected_keys),
        [(key, list(rows)) for key, rows in summary.duplicates],
    )


_MODELS: dict[str | None, Any] = {}


def loaded_model(model_dir: str | None) -> Any:
    """The model in ``model_dir`` (default: the shipped one), loaded once a process (workers score many parts)."""
    if model_dir not in _MODELS:
        from model.odds.artifacts import load_model

        _MODELS[model_dir] = load_model(model_dir) if model_dir else load_model()
    return _MODELS[model_dir]


@dataclass
class Parts:
    """A run over parts: where they are, where the scores go, and the temporary folder until done."""

    input: str
    parts: list[Part]
    output: Path
    errors: Path
    staging: Path  # the run writes here; renamed to ``output`` when every part is done

    @classmethod
    def plan(cls, input_path: str | os.PathLike[str], output: str | os.PathLike[str] | None,
             errors: str | os.PathLike[str] | None) -> Parts:
        """Check everything that can be checked before any work: the parts, and the two targets."""
        parts = find_parts(input_path)
        if output is None or not str(output).strip():
            root = Path(input_path)
            if not root.exists():
                raise InputError(f"{input_path}: scoring parts from a glob needs --out, a folder for the scored parts")
            stem = root.name if root.is_dir() else parts[0].output.removesuffix(".parquet")
            output = root.with_name(f"{stem}.scored")
        out = Path(output)
        if out.suffix.lower() in (".csv", ".gz", ".tsv", ".txt", ".json"):  # (a folder may be named x.parquet)
            raise InputError(f"{out}: scored parts go to a folder of Parquet parts; name a folder, not a file")
        if out.exists() and not out.is_dir():
            raise InputError(f"{out}: is a file; --out names the folder for the scored parts")
        ins = {p.path.resolve() for p in parts}
        if any(out.resolve() == p or out.resolve() in p.parents for p in ins):
            raise InputError(f"{out}: holds input parts; choose another --out")
        if out.is_dir() and (stray := [p for p in out.rglob("*") if p.is_file() and p.suffix != ".parquet"]):
            raise InputError(
                f"{out}: holds files that are not Parquet parts (such as {stray[0].relative_to(out)}); a run "
                "replaces only a previous run's parts: choose another --out"
            )
        err = Path(errors) if errors else out.with_name(f"{out.name}.errors.csv")
        if errors:
            check_errors_name(err)
        if err.is_dir():
            raise InputError(f"{err}: is a directory; name a file to write")
        staging = out.with_name(f".{out.name}.exodds-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        return cls(str(input_path), parts, out, err, staging)

    def part_errors(self, i: int) -> str:
        return str(self.staging / "_errors" / f"{i:06d}.csv")

    @contextlib.contextmanager
    def writing(self) -> Any:
        """The staging folder, removed whatever happens; ``finish`` moves it into place."""
        (self.staging / "_errors").mkdir(parents=True)
        try:
            yield self
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def finish(self, results: Sequence[PartResult], warnings: Iterable[str] = ()) -> Summary:
        """Merge the parts' errors (in part order), then put the folder and the errors file in place."""
        from model.io import atomic_write

        id_column = next((r.id_column for r in results if r.id_column), None)
        with atomic_write(self.errors, "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(["file", *KEYED_ERROR_COLUMNS] if id_column else PART_ERROR_COLUMNS)
            for i, part in enumerate(self.parts):
                with open(self.part_errors(i), encoding="utf-8-sig", newline="") as src:
                    rows = csv.reader(src)
                    next(rows, None)
                    out.writerows([part.name, *row] for row in rows)
            shutil.rmtree(self.staging / "_errors")
            old = self.output.with_name(f"{self.staging.name}.old")
            if self.output.exists():
                self.output.rename(old)
            self.staging.rename(self.output)
            shutil.rmtree(old, ignore_errors=True)
        said: dict[str, None] = dict.fromkeys(w for r in results for w in r.warnings)
        said.update(dict.fromkeys(warnings))
        return Summary(
            n_read=sum(r.n_read for r in results),
            n_scored=sum(r.n_scored for r in results),
            n_rejected=sum(r.n_rejected for r in results),
            output=self.output,
            errors=self.errors,
            warnings=list(said),
            id_column=id_column,
            rejected_keys=[k for r in results for k in r.rejected_keys],
            duplicates=[d for r in results for d in r.duplicates],  # (within a part: parts are scored apart)
        )

    def jobs(self) -> list[tuple[Part, str, str]]:
        """(part, staging folder, its errors file) for each part: what each task is given."""
        return [(p, str(self.staging), self.part_errors(i)) for i, p in enumerate(self.parts)]

