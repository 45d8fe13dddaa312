"""A model on disk: where the shipped one lives, checking every file against its card, reading the
weights without running any code, and writing them.

Why a module of its own: loading is where trust is decided. The card names each file's SHA-256,
the basis it was trained on and its format version; nothing is read as a model before those
checks pass, and the weights (``weights.npz``) are plain arrays. The pickled pipeline
(``model.joblib``, which runs code when loaded) is unpickled only when ``model.pipeline`` is used.
"""

from __future__ import annotations

import hashlib
import io
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ModelLoadError
from model.odds.basis import TERMS, basis_signature, column_names
from model.odds.calibration import LINKS, Calibration
from model.odds.interactions import term_by_name
from model.odds.runtime import OddsModel

__all__ = [
    "ARTIFACT",
    "CARD",
    "FORMAT_VERSION",
    "REBUILD_COMMAND",
    "WEIGHTS",
    "default_model_dir",
    "format_version",
    "load_model",
    "model_from_weights",
    "model_weights",
    "read_card",
    "save_weights",
    "sha256_file",
    "unpickle",
]

ARTIFACT = "model.joblib"
CARD = "model_card.json"
WEIGHTS = "weights.npz"  # the numbers scoring reads, so loading needs neither joblib nor scikit-learn
REBUILD_COMMAND = "exodds train --default"
#: The layout of a model directory (the card's ``format_version``): 1 for cards written before the
#: field existed (weights.npz beside model.joblib), 2 from the package's subpackages on: the card and
#: weights.npz are the model, model.joblib (the scikit-learn pipeline, for retraining) is optional and
#: names the new module paths; 3 from issue 19 on: weights.npz may also hold ``terms`` (the names of the
#: interaction terms a model trained on a file chose, rebuilt from ``model.odds.interactions``) and
#: ``calibration_link`` (a link other than the logit); without them a model is what format 2 described,
#: so older directories load as before. A newer version than this is refused.
FORMAT_VERSION = 3


def format_version(model: OddsModel) -> int:
    """The oldest format that describes ``model``: 2 unless it has chosen terms or another link, so
    the directories of models without them stay readable by the exodds that wrote format 2."""
    return 3 if model.terms or any(c.link != "logit" for c in [model.calibration, *model.member_calibration]) else 2


def default_model_dir() -> Path:
    return Path(str(resources.files("model").joinpath("artifacts")))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _directory(path: str | Path | None) -> Path:
    """The model directory ``path`` names: the directory itself, or the folder of a file in it (its
    ``model.joblib``, ``weights.npz`` or card, as older commands printed)."""
    p = default_model_dir() if path is None else Path(path)
    return p.parent if p.suffix in (".joblib", ".npz", ".json") else p


def load_model(path: str | Path | None = None, *, allow_pickle: bool = False) -> OddsModel:
    """The default model (``path=None``) or one in the directory ``path`` (``exodds train --out``,
    ``exodds update --out``).

    Reads plain data only: the card (``model_card.json``) and the weights (``weights.npz``, checked
    against the card's SHA-256). Nothing is unpickled, and a directory needs no ``model.joblib``; when
    one is there, ``model.pipeline`` unpickles it on first use (training and evaluation), after
    checking its SHA-256 too. A model saved before weights files existed can only be unpickled:
    ``allow_pickle=True`` says you trust it (``exodds train --default`` rebuilds the shipped one).
    """
    if path is None and not allow_pickle:
        return _load_default()
    return _load(_directory(path), allow_pickle)


@lru_cache(maxsize=1)
def _load_default() -> OddsModel:
    return _load(_directory(None), allow_pickle=False)


def read_card(directory: Path) -> dict[str, Any]:
    """A model directory's card, checked for the format this exodds reads (not yet for its files)."""
    card_path = directory / CARD
    if not directory.exists():
        raise ModelLoadError(f"no model file at {directory}; build one with `{REBUILD_COMMAND}`")
    if not card_path.exists():
        raise ModelLoadError(f"{directory}: its model card {CARD} is missing; refusing to load")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ModelLoadError(f"{card_path}: not a readable model card ({exc})") from None
    if not isinstance(card, dict):
        raise ModelLoadError(f"{card_path}: not a readable model card (not a JSON object)")
    version = card.get("format_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT_VERSION:
        raise ModelLoadError(
            f"{card_path}: format_version {version!r}; this exodds reads model directories of format 1 to "
            f"{FORMAT_VERSION}. Use the exodds that wrote it, or rebuild with `{REBUILD_COMMAND}`."
        )
    if card.get("basis_signature") != basis_signature():
        raise ModelLoadError(
            f"{directory} was trained on another version of the model's basis (model/odds/basis.py changed "
            f"since); refusing to use its weights. Rebuild it with `{REBUILD_COMMAND}`."
        )
    return card


def _load(directory: Path, allow_pickle: bool) -> OddsModel:
    """Check the card, then read the weights (plain arrays, nothing runs); the pickled pipeline, when
    there is one, waits until ``model.pipeline`` is asked for."""
    card = read_card(directory)
    artifact, weights = directory / ARTIFACT, directory / WEIGHTS
    if "weights_sha256" not in card:  # saved before weights.npz existed: only a pickle to read
        if not allow_pickle:
            raise ModelLoadError(
                f"{directory} holds only a pickled model (saved before weights files existed), and loading "
                "it would run code; rebuild it (`exodds train`, or `" + REBUILD_COMMAND + "` for the shipped "
                "model), or load it with allow_pickle=True if you trust it"
            )
        model = unpickle(artifact, card)
        model.card = card
        return model
    if not weights.exists():
        raise ModelLoadError(f"{directory}: its weights file {WEIGHTS} is missing; refusing to load")
    data = _read(weights)
    _check_bytes(weights, data, card["weights_sha256"], "")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            model = model_from_weights(dict(arrays))
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ModelLoadError(f"{weights}: not a model's weights ({type(exc).__name__}: {exc})") from None
    del model.__dict__["pipeline"]  # ``__getattr__`` asks for it: unpickled then, never here
    if "artifact_sha256" in card:
        model.__dict__["_pipeline_from"] = lambda: unpickle(artifact, card)
    model.card = card
    return model


def save_weights(model: OddsModel, out_dir: str | Path, card: dict[str, Any]) -> Path:
    """Write a model directory with no pickle at all: ``weights.npz`` and ``card`` (given the weights'
    SHA-256 and this format version), each atomically, the card last. What ``exodds update`` writes;
    ``load_model``, ``report``, ``score`` and ``serve`` read it like any other."""
    from model.io import atomic_path, atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    card = {k: v for k, v in card.items() if k not in ("artifact_sha256", "artifact_bytes")}
    with atomic_path(out / WEIGHTS) as tmp:
        with open(tmp, "wb") as fh:
            arrays: dict[str, Any] = model_weights(model)  # (numpy's stub types savez's **kwds as bool)
            np.savez(fh, **arrays)
        card["weights_sha256"] = sha256_file(tmp)
    card["format_version"] = format_version(model)
    (out / ARTIFACT).unlink(missing_ok=True)  # (a pickle left from before would not match these weights)
    with atomic_write(out / CARD, "w", encoding="utf-8") as fh:
        json.dump(card, fh, indent=2, sort_keys=False)
        fh.write("\n")
    model.card = card
    return out


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read it ({exc.strerror or exc}); refusing to load") from None


def _check_bytes(path: Path, data: bytes, expected: Any, why: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ModelLoadError(
            f"{path}: SHA-256 {actual[:16]}… does not match its model card ({str(expected)[:16]}…). "
            f"The file is damaged, truncated or was changed; refusing to load it{why}. "
            f"Rebuild with `{REBUILD_COMMAND}`."
        )


def _sklearn_version() -> str | None:
    """The installed scikit-learn's version, read without importing it (that takes most of a second)."""
    from importlib import metadata

    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:  # pragma: no cover (a dependency)
        return None


def unpickle(artifact: Path, card: dict[str, Any]) -> OddsModel:
    """The whole model, scikit-learn pipeline included, from ``model.joblib``: the bytes hashed are
    the bytes loaded, and they must be those ``card`` (read when the model was loaded) names, with
    the scikit-learn version that wrote them (unpickling runs code)."""
    built_with, installed = card.get("sklearn_version"), _sklearn_version()
    if built_with != installed:
        raise ModelLoadError(
            f"{artifact} was built with scikit-learn {built_with}, this environment has "
            f"{installed or 'none installed'}; refusing to unpickle it. Rebuild it with `{REBUILD_COMMAND}` "
            "(or for your own model, rerun the `exodds train` command recorded in its card)."
        )
    data = _read(artifact)
    _check_bytes(artifact, data, card.get("artifact_sha256"), " (loading runs code)")
    import joblib  # type: ignore[import-untyped]

    try:
        model = joblib.load(io.BytesIO(data))
    except Exception as exc:  # a file that matched its hash but still fails: say so plainly
        raise ModelLoadError(f"{artifact}: could not be loaded ({type(exc).__name__}: {exc})") from None
    if not isinstance(model, OddsModel):
        raise ModelLoadError(f"{artifact}: holds a {type(model).__name__}, not an exodds model")
    return model


def model_weights(model: OddsModel) -> dict[str, np.ndarray]:
    """Every number scoring reads, as plain arrays (``weights.npz``; ``model_from_weights`` reverses it)."""
    cals = [model.calibration, *model.member_calibration]
    arrays: dict[str, np.ndarray] = {
        "coef": np.asarray(model.coef, dtype=np.float64),
        "intercept": np.asarray(model.intercept, dtype=np.float64),
        "member_coef": np.asarray(model.member_coef, dtype=np.float64),
        "member_intercept": np.asarray(model.member_intercept, dtype=np.float64),
        "reference": np.asarray(model.reference, dtype=np.float64),
        "range_kind": np.asarray(model.range_kind),
        # calibration 0 is the model's, 1.. its members'
        "calibration_kind": np.asarray([c.kind for c in cals]),
        "calibration_slope": np.asarray([c.slope for c in cals], dtype=np.float64),
        "calibration_offset": np.asarray([c.offset for c in cals], dtype=np.float64),
    }
    if any(c.link != "logit" for c in cals):
        arrays["calibration_link"] = np.asarray([c.link for c in cals])
    if model.terms:  # names only: loading rebuilds them from model.odds.interactions, never from code
        arrays["terms"] = np.asarray([t.name for t in model.terms])
    for i, c in enumerate(cals):
        if c.x is not None:
            arrays[f"calibration_{i}_x"] = np.asarray(c.x, dtype=np.float64)
            arrays[f"calibration_{i}_y"] = np.asarray(c.y, dtype=np.float64)
    return arrays


def model_from_weights(arrays: dict[str, np.ndarray]) -> OddsModel:
    """The model ``model_weights`` describes; its scikit-learn pipeline is None (``load_model``
    unpickles it from ``model.joblib`` on first use). Raises ``ValueError`` naming the first array
    that is not what a model of this basis holds."""
    k = (np.shape(arrays.get("member_intercept", ()))[:1] or (0,))[0]  # members
    known = {
        "coef",
        "intercept",
        "member_coef",
        "member_intercept",
        "reference",
        "range_kind",
        "calibration_kind",
        "calibration_slope",
        "calibration_offset",
    }
    curves = {f"calibration_{i}_{xy}" for i in range(k + 1) for xy in "xy"}
    optional = {"calibration_link", "terms"}  # (format 3: only when a model has them)
    if missing := sorted(known - set(arrays)):
        raise ValueError(f"missing array(s): {', '.join(missing)}")
    if unknown := sorted(set(arrays) - known - curves - optional):
        raise ValueError(f"unknown array(s): {', '.join(unknown)}")

    def numbers(key: str, shape: tuple[int, ...]) -> np.ndarray:
        a = arrays[key]
        if a.dtype != np.float64 or a.shape != shape:
            raise ValueError(f"{key}: expected float64 of shape {shape}, got {a.dtype} of shape {a.shape}")
        if not np.isfinite(a).all():
            where = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
            raise ValueError(f"{key}: holds values that are not finite, such as {float(a[where])!r} at index {where}")
        return a

    def texts(key: str, shape: tuple[int, ...], allowed: set[str]) -> list[str]:
        a = arrays[key]
        if a.dtype.kind != "U" or a.shape != shape:
            raise ValueError(f"{key}: expected text of shape {shape}, got {a.dtype} of shape {a.shape}")
        if bad := sorted({str(v) for v in a.ravel()} - allowed):
            raise ValueError(f"{key}: {', '.join(bad)} is not one of {', '.join(sorted(allowed))}")
        return [str(v) for v in a.ravel()]

    kinds = texts("calibration_kind", (k + 1,), {"none", "sigmoid", "isotonic", "piecewise"})
    slope, offset = numbers("calibration_slope", (k + 1,)), numbers("calibration_offset", (k + 1,))
    links = texts("calibration_link", (k + 1,), set(LINKS)) if "calibration_link" in arrays else ["logit"] * (k + 1)
    names: list[str] = []
    if "terms" in arrays:
        t = arrays["terms"]
        if t.dtype.kind != "U" or t.ndim != 1:
            raise ValueError(f"terms: expected a list of names, got {t.dtype} of shape {t.shape}")
        names = [str(v) for v in t]
    terms = tuple(term_by_name(name) for name in names)  # (KeyError: not a term this exodds knows)
    width = len(column_names(TERMS + terms))
    cals = []
    for i, kind in enumerate(kinds):
        x = y = None
        if kind in ("isotonic", "piecewise"):
            if f"calibration_{i}_x" not in arrays or f"calibration_{i}_y" not in arrays:
                raise ValueError(f"calibration {i} is {kind} but its calibration_{i}_x/_y are missing")
            n = arrays[f"calibration_{i}_x"].shape[:1] or (0,)
            x, y = numbers(f"calibration_{i}_x", n), numbers(f"calibration_{i}_y", n)
        elif f"calibration_{i}_x" in arrays or f"calibration_{i}_y" in arrays:
            raise ValueError(f"calibration {i} is {kind} but has a curve")
        cals.append(Calibration(kind, float(slope[i]), float(offset[i]), x, y, link=links[i]))
    return OddsModel(
        pipeline=None,
        coef=numbers("coef", (width,)),
        intercept=float(numbers("intercept", ())),
        calibration=cals[0],
        member_coef=numbers("member_coef", (k, width)),
        member_intercept=numbers("member_intercept", (k,)),
        member_calibration=cals[1:],
        range_kind=texts("range_kind", (), {"assumptions", "bootstrap"})[0],
        reference=numbers("reference", (width,)),
        terms=terms,
    )
