"""Where datasets are cached, and fetching files from mirrors with SHA-256 checks.

The cache directory is, in order: the ``cache_dir`` argument, the environment
variable ``MINIDL_DATA_DIR``, then ``~/.cache/minidl``. Downloads go through
pooch, which writes to a temporary file and keeps it only when its SHA-256
matches, so a half-finished or tampered download never lands in the cache.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from minidl.serialization import replace_atomically

ENV_VAR = "MINIDL_DATA_DIR"
REACHABILITY_TIMEOUT = 3.0  # seconds, for all mirrors together


class DownloadError(OSError):
    """No mirror delivered a file with the expected checksum."""


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The data cache directory (not created here)."""
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "minidl"


def first_reachable(
    urls: Sequence[str], timeout: float = REACHABILITY_TIMEOUT
) -> tuple[str | None, str]:
    """The first URL whose host accepts a TCP connection, trying them within ``timeout``
    seconds in all; returns ``(url, "")`` or ``(None, why_not)``. Never hangs."""
    deadline = time.monotonic() + timeout
    reasons = []
    for url in urls:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        left = deadline - time.monotonic()
        if left <= 0:
            reasons.append(f"{parts.hostname}: not tried (time is up)")
            break
        try:
            with socket.create_connection((parts.hostname, port), timeout=left):
                return url, ""
        except OSError as e:
            reasons.append(f"{parts.hostname}:{port}: {e.strerror or e}")
    return None, "; ".join(reasons) or "no mirrors given"


def fetch(
    name: str,
    sha256: str,
    mirrors: Sequence[str],
    directory: Path,
    timeout: float = 10.0,
    progress: bool = False,
) -> Path:
    """``directory / name``, downloaded from the first mirror (``mirror + name``) that
    serves it with the right SHA-256; a cached copy with the right hash is reused.

    Raises :class:`DownloadError` listing what went wrong at each mirror.
    """
    import pooch  # imported on use: only downloads need it

    downloader = pooch.HTTPDownloader(timeout=timeout, progressbar=progress)
    # pooch's own log lines would repeat what the progress bar and our one-line summary say
    # (and its handler holds the stderr of the moment pooch was imported); mute it meanwhile
    logger = pooch.get_logger()
    was_disabled, logger.disabled = logger.disabled, True
    errors = []
    try:
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                path = pooch.retrieve(
                    url,
                    known_hash=f"sha256:{sha256}",
                    fname=name,
                    path=directory,
                    downloader=downloader,
                )
                return Path(path)
            except ValueError as e:  # pooch's hash mismatch
                errors.append(f"{url}: SHA-256 mismatch ({e})")
            except OSError as e:  # requests' connection and HTTP errors are OSErrors
                errors.append(f"{url}: {e}")
    finally:
        logger.disabled = was_disabled
    raise DownloadError(f"could not download {name}: " + " | ".join(errors or ["no mirrors given"]))


def save_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Write ``arrays`` to ``path`` as .npz (no pickles), atomically: a reader never
    sees a half-written file. A cache that cannot be written is skipped silently."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replace_atomically(path) as f:
            np.savez(f, **arrays)
    except OSError:
        pass


class CacheError(ValueError):
    """A cached file is truncated, corrupt, or not what was expected."""


def load_arrays(path: Path, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The arrays ``names`` from the .npz at ``path``; :class:`CacheError` saying why when the
    file is missing, truncated, corrupt or lacks one of them (never a raw zip error)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [n for n in names if n not in f.files]
            if missing:
                raise CacheError(f"{path.name} lacks the arrays {missing}")
            return {n: f[n] for n in names}
    except CacheError:
        raise
    except FileNotFoundError:
        raise CacheError(f"{path.name} is missing") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise CacheError(f"{path.name} is truncated or corrupt ({e})") from None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as a hex string."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def remove(path: Path) -> None:
    """Delete a cached file; one that cannot be deleted is left (the next call retries)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
