"""The eval split of a run (open-r1: ``dataset_test_split`` with ``eval_strategy`` other than ``no``).

``dataset_mixture`` with ``test_split_size`` gives the mixture's held-out part; otherwise the
``dataset_test_split`` split of ``dataset_name`` is loaded (a Hub split, a local directory with
``<split>`` files, or a ``save_to_disk`` DatasetDict). Without evaluation nothing is loaded.
"""

from __future__ import annotations

from typing import Any

from r1_core.dataset_names import parse_dataset_name
from r1_core.errors import DataError

__all__ = ["load_eval_split", "wants_eval"]


def wants_eval(args: Any) -> bool:
    """Whether TRL will evaluate: an eval strategy other than ``no``."""
    strategy = getattr(args, "eval_strategy", "no")
    return str(getattr(strategy, "value", strategy)) != "no"


def load_eval_split(opts: Any, args: Any, default: str | None) -> Any | None:
    """The raw eval split, or None when the run does not evaluate."""
    from r1_core.training.data import build_mixture, load_dataset_named

    if not wants_eval(args):
        return None
    if opts.dataset_mixture is not None:
        test = build_mixture(opts.dataset_mixture)[1]
        if test is None:
            raise DataError("eval_strategy is set but the dataset_mixture has no test_split_size",
                            "set dataset_mixture.test_split_size (e.g. 0.1) or eval_strategy: 'no'")
        return test
    name = opts.dataset_name or default
    split = opts.dataset_test_split
    parsed = parse_dataset_name(name, opts.dataset_config)
    path = parsed.path
    single = parsed.kind in ("bundled", "file") or (
        parsed.kind == "dir" and not (path / "dataset_dict.json").is_file()
        and not any(split in f.stem for f in path.iterdir() if f.is_file()))
    if single:
        raise DataError(f"eval_strategy is set but {name!r} has no separate {split!r} split",
                        "use a directory with train/test files, a Hub dataset with that split, "
                        "dataset_mixture.test_split_size, or eval_strategy: 'no'")
    ds = load_dataset_named(name, opts.dataset_config, split)
    if len(ds) == 0:
        raise DataError(f"the eval split {split!r} of {name!r} is empty", "set --dataset-test-split")
    return ds
