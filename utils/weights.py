"""A cheap integrity check of an encoder's weight files, without loading a tensor (engine/preflight.py).

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON ({name: {dtype, shape,
data_offsets: [begin, end]}}, plus "__metadata__"), then the tensor bytes; its size is exactly 8 + N + the largest
end offset. A file cut short by a failed copy or download fails that arithmetic; safetensors itself would fail
later with a SafetensorError naming no file. A PyTorch .bin is a zip archive whose directory is at its end.
"""
import json
import zipfile
from pathlib import Path

SAFETENSORS_HEADER_LIMIT = 100_000_000  # safetensors' own limit on the header's size


def safetensors_problem(path) -> str | None:
    """None for a complete safetensors file; else what is wrong with it (reads the header only)."""
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return f"truncated ({size} bytes: no header)"
        length = int.from_bytes(head, "little")
        if length > min(size - 8, SAFETENSORS_HEADER_LIMIT):
            return f"truncated or corrupt (its header claims {length} bytes; the file has {size})"
        try:
            header = json.loads(handle.read(length))
            ends = [int(entry["data_offsets"][1]) for name, entry in header.items() if name != "__metadata__"]
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return "corrupt (its header is not safetensors' JSON)"
    expected = 8 + length + max(ends, default=0)
    if expected != size:
        return f"truncated or corrupt ({size} bytes; its header describes {expected})"
    return None


def torch_bin_problem(path) -> str | None:
    """None for a readable zip archive (torch.save's format since PyTorch 1.6); else what is wrong (reads its
    directory only). A legacy (pre-zip) pickle is not judged."""
    with Path(path).open("rb") as handle:
        if handle.read(2) != b"PK":
            return None
    try:
        with zipfile.ZipFile(path) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return f"truncated or corrupt (not a complete torch.save archive: {error})"
    return None


def shard_names(directory: Path) -> list[str]:
    """The shard files a *.index.json in directory names (sharded checkpoints)."""
    names = []
    for index in sorted(directory.glob("*.index.json")):
        try:
            names += sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (ValueError, KeyError, AttributeError):
            raise ValueError(f"{index}: not a readable weight index (expected JSON with a weight_map)") from None
    return names


def weight_problems(directory) -> list[tuple[Path, str]]:
    """[(file, problem)] for every weight file of an encoder directory: each *.safetensors and *.bin checked,
    and each shard an index names present."""
    directory = Path(directory)
    problems = [(directory / name, "missing (named in the weight index)") for name in shard_names(directory)
                if not (directory / name).is_file()]
    for path in sorted(directory.glob("*.safetensors")):
        problems.append((path, safetensors_problem(path)))
    for path in sorted(directory.glob("*.bin")):
        if path.name != "training_args.bin":
            problems.append((path, torch_bin_problem(path)))
    return [(path, problem) for path, problem in problems if problem]
