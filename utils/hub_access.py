"""Whether a hub model or dataset can be read, found in seconds and without writing anything (engine/preflight.py).

Without a connection, transformers and datasets retry every file for about 30 s (huggingface_hub's backoff) and
then fail with chained tracebacks, after the run has created its output directory. Here one HEAD request without
retries says whether the hub answers; under HF_HUB_OFFLINE=1 only the local caches are looked at, exactly where
transformers (the hub cache: cache_dir, else HF_HUB_CACHE) and datasets (its own cache: cache_dir, else
HF_DATASETS_CACHE) will look.

    unreachable(repo_id, repo_type)    None, or why the hub cannot serve repo_id ("no connection: ...")
    cached_model(repo_id, cache_dir)   the snapshot folder of its cached config.json, or None
    cached_dataset(repo_id, cache_dir) whether datasets has a prepared copy in its cache
"""
from pathlib import Path

from huggingface_hub import constants, get_hf_file_metadata, try_to_load_from_cache
from huggingface_hub.errors import (EntryNotFoundError, GatedRepoError, HfHubHTTPError, RepositoryNotFoundError,
                                   RevisionNotFoundError)

# Hub ids still published as loading scripts (datasets >= 4 refuses them): the revision of the hub's Parquet export
# (refs/convert/parquet, one folder per config) that utils/data.py hub_read reads instead. No commit of either export
# could be verified offline (../shared/hub/schemas.json cites SocialIQA's export tree, not a commit; whether CosmosQA has
# an export is unknown), so the ref is pinned by name; put a 40-hex commit here once one is verified.
HUB_EXPORT_REVISIONS = {"allenai/social_i_qa": "refs/convert/parquet", "allenai/cosmos_qa": "refs/convert/parquet"}
PROBE_FILES = {"model": "config.json", "dataset": "README.md"}  # one file every repo of the kind has (or may lack)


def offline() -> bool:
    """HF_HUB_OFFLINE=1 (or TRANSFORMERS_OFFLINE=1), as huggingface_hub read it at import."""
    return bool(constants.HF_HUB_OFFLINE)


def unreachable(repo_id: str, repo_type: str = "model", timeout: float | None = None) -> str | None:
    """None when the hub serves repo_id; else a short reason. One HEAD request, no retries (timeout: the
    HF_HUB_ETAG_TIMEOUT seconds huggingface_hub waits for metadata, 10 by default)."""
    prefix = "datasets/" if repo_type == "dataset" else ""  # the endpoint as it is now (HF_ENDPOINT at import)
    url = f"{constants.ENDPOINT}/{prefix}{repo_id}/resolve/main/{PROBE_FILES[repo_type]}"
    try:
        get_hf_file_metadata(url, timeout=timeout or constants.HF_HUB_ETAG_TIMEOUT, retry_on_errors=False)
    except EntryNotFoundError:
        return None  # the repository is there (a dataset without a README)
    except GatedRepoError:
        return "it is gated: accept its terms on the hub's page and log in (hf auth login)"
    except RepositoryNotFoundError:
        return f"no such {repo_type} on the hub (or it is private: log in with hf auth login)"
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        return f"the hub answered HTTP {status}"
    except Exception as error:  # httpx2 connection errors and timeouts, proxies, TLS: no answer at all
        return f"no connection to {constants.ENDPOINT}: {type(error).__name__}: {' '.join(str(error).split())}"
    return None


def export_missing(repo_id: str, revision: str, folder: str) -> str | None:
    """Why the Parquet export of a loading-script dataset (revision, e.g. refs/convert/parquet) has no folder
    `folder` (one config), or None when it has one or the hub does not say (the run then finds out)."""
    from huggingface_hub import HfApi
    try:
        next(iter(HfApi().list_repo_tree(repo_id, path_in_repo=folder, repo_type="dataset", revision=revision)))
    except StopIteration:
        return f"{folder}/ is empty at {revision}"
    except (EntryNotFoundError, RevisionNotFoundError) as error:
        return f"{type(error).__name__} at {revision}"
    except Exception:  # noqa: BLE001 (no answer: left to the run, which names the route itself)
        return None
    return None


def cached_model(repo_id: str, cache_dir=None, filename: str = "config.json") -> Path | None:
    """The snapshot folder holding repo_id's filename in the hub cache, or None."""
    found = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir)
    return Path(found).parent if isinstance(found, str) else None


def model_cache_dir(cache_dir=None) -> str:
    return str(cache_dir or constants.HF_HUB_CACHE)


def dataset_cache_dir(cache_dir=None) -> str:
    import datasets
    return str(Path(cache_dir or datasets.config.HF_DATASETS_CACHE).expanduser())


def cached_dataset(repo_id: str, cache_dir=None) -> bool:
    """Whether datasets would load repo_id from its cache offline: a prepared copy in
    <cache>/<namespace>___<name>/<config>/<version>/<hash> (datasets' CachedDatasetModuleFactory's test)."""
    from datasets.naming import camelcase_to_snakecase
    namespace, _, name = repo_id.rpartition("/")
    root = Path(dataset_cache_dir(cache_dir)) / "___".join([*([namespace] if namespace else []),
                                                            camelcase_to_snakecase(name)])
    return any(path.is_dir() for path in root.glob("*/*/*"))
