"""Where batch scoring runs, chosen by name: ``local`` (this process) and ``dask`` (a Dask cluster,
local or existing), in a registry others can add to (``register_engine``).

Why engines differ only in where parts run: the work is ``score_file``, for a file, and
``model.batch.parts`` for a folder or glob of parts (each part scored as a file on its own would be,
into a folder of Parquet parts and one errors file). So every engine validates, maps and scores the
same way and writes the same files; an engine only decides where each part is scored. The Dask
engine imports Dask when it runs, never before (``exodds[dask]``).
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from model.batch import pipeline
from model.batch.mapping import ColumnMapping
from model.batch.parts import PartResult, Parts, is_parts, loaded_model, score_part
from model.batch.pipeline import Summary
from model.errors import UsageError

__all__ = ["ENGINES", "ENTRY_POINTS", "DaskEngine", "Engine", "LocalEngine", "make_engine", "register_engine"]


class Engine(Protocol):
    """Scores an input (a file, or parts: a folder or a glob) into ``output``; ``Summary`` says what it did."""

    def score(
        self,
        input_path: str | os.PathLike[str],
        output: str | os.PathLike[str] | None = None,
        errors: str | os.PathLike[str] | None = None,
        *,
        mapping: ColumnMapping | None = None,
        as_of: Any = None,
        model_dir: str | None = None,
        progress: bool = False,
        id_column: str | None = None,
    ) -> Summary: ...


#: engine name -> a factory taking the engine's options (``make_engine(name, **options)``)
ENGINES: dict[str, Callable[..., Engine]] = {}


def register_engine(name: str, factory: Callable[..., Engine]) -> None:
    """Make an engine available by ``name`` (``exodds score --engine NAME``)."""
    ENGINES[name] = factory


#: the entry-point group where an installed package offers engines (name = module:factory)
ENTRY_POINTS = "exodds.engines"


def make_engine(name: str, **options: Any) -> Engine:
    """The engine registered as ``name`` (or offered as ``name`` in the ``exodds.engines`` entry-point
    group, registered on first use), built with ``options``; ``UsageError`` for an unknown name."""
    if name not in ENGINES:
        from importlib.metadata import entry_points

        for point in entry_points(group=ENTRY_POINTS, name=name):
            register_engine(name, point.load())
            break
    try:
        factory = ENGINES[name]
    except KeyError:
        raise UsageError(f"unknown engine {name!r}: expected one of {', '.join(sorted(ENGINES))}") from None
    return factory(**options)


class LocalEngine:
    """This process: a file streams through ``score_file``; parts are scored one after another."""

    def score(
        self,
        input_path: str | os.PathLike[str],
        output: str | os.PathLike[str] | None = None,
        errors: str | os.PathLike[str] | None = None,
        *,
        mapping: ColumnMapping | None = None,
        as_of: Any = None,
        model_dir: str | None = None,
        progress: bool = False,
        id_column: str | None = None,
    ) -> Summary:
        if not is_parts(input_path):  # (the shipped model is loaded once the file is known to be usable)
            return pipeline.score_file(input_path, output, errors, mapping=mapping, as_of=as_of,
                              model=loaded_model(model_dir) if model_dir else None, progress=progress,
                              id_column=id_column)
        model = loaded_model(model_dir)
        run = Parts.plan(input_path, output, errors)
        with run.writing():
            results = []
            for i, (part, folder, part_errors) in enumerate(run.jobs()):
                results.append(score_part(part, folder, part_errors, mapping=mapping, as_of=as_of,
                                          model_dir=model_dir, model_version=model.version, id_column=id_column))
                _show(progress, i + 1, len(run.parts))
            return run.finish(results)


class DaskEngine:
    """A Dask cluster: each part is a task. A local cluster of ``workers`` processes by default (one a
    core; ``processes=False`` runs them as threads of this process), or the existing cluster whose
    scheduler is at ``scheduler``, whose workers must see the same files (a shared file system) and
    have the same exodds and model (each checks its model's version against this one's)."""

    connect_timeout = "10s"  # how long to try a --scheduler address before saying it cannot be reached

    def __init__(self, workers: int | None = None, scheduler: str | None = None, processes: bool = True,
                 threads_per_worker: int = 1):
        if workers is not None and workers < 1:
            raise UsageError(f"--workers {workers}: give 1 or more")
        if scheduler is not None and workers is not None:
            raise UsageError("--workers sizes a local cluster; with --scheduler the cluster is already sized")
        self.workers, self.scheduler = workers, scheduler
        self.processes, self.threads_per_worker = processes, threads_per_worker

    def score(
        self,
        input_path: str | os.PathLike[str],
        output: str | os.PathLike[str] | None = None,
        errors: str | os.PathLike[str] | None = None,
        *,
        mapping: ColumnMapping | None = None,
        as_of: Any = None,
        model_dir: str | None = None,
        progress: bool = False,
        id_column: str | None = None,
    ) -> Summary:
        model = loaded_model(model_dir)  # (a model that cannot load fails here, before any cluster starts)
        run = Parts.plan(input_path, output, errors)  # (a single file is one part)
        model_dir = str(Path(model_dir).resolve()) if model_dir else None
        with run.writing(), self.client() as client:
            futures = [
                client.submit(score_part, part, folder, part_errors, mapping=mapping, as_of=as_of, model_dir=model_dir,
                              model_version=model.version, id_column=id_column,
                              key=f"exodds-part-{i}-{uuid.uuid4().hex}", pure=False)
                for i, (part, folder, part_errors) in enumerate(run.jobs())
            ]
            try:
                from dask.distributed import as_completed

                # (distributed leaves as_completed, Client and LocalCluster unannotated)
                for done, future in enumerate(as_completed(futures), 1):  # type: ignore[no-untyped-call]
                    future.result()  # (the first part that fails stops the run, with its own error)
                    _show(progress, done, len(futures))
                results: list[PartResult] = client.gather(futures)
            except BaseException:
                client.cancel(futures)
                raise
            return run.finish(results)

    def client(self) -> Any:
        """A Dask client (a context manager): on the scheduler given, or on a new local cluster."""
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise UsageError(
                "--engine dask needs Dask: install exodds with its dask extra (pip install 'exodds[dask]')"
            ) from None
        if self.scheduler:
            try:
                return Client(self.scheduler, timeout=self.connect_timeout)  # type: ignore[no-untyped-call]
            except (OSError, TimeoutError) as exc:
                raise UsageError(f"--scheduler {self.scheduler}: cannot reach a Dask scheduler there ({exc})") from None
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=self.workers or os.cpu_count() or 1,
            threads_per_worker=self.threads_per_worker,
            processes=self.processes,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        return _Owned(Client(cluster), cluster)  # type: ignore[no-untyped-call]


class _Owned:
    """A client on a cluster this run started: closing one closes both."""

    def __init__(self, client: Any, cluster: Any):
        self.client, self.cluster = client, cluster

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *exc: Any) -> None:
        self.client.close()
        self.cluster.close()


def _show(progress: bool, done: int, total: int) -> None:
    if progress:
        sys.stderr.write(f"\rscoring parts: {done}/{total}" + ("\n" if done == total else ""))
        sys.stderr.flush()


register_engine("local", LocalEngine)
register_engine("dask", DaskEngine)
