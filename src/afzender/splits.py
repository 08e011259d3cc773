"""Deprecated for one release: train, dev and test rows moved to :mod:`afzender.inputs.splits`.
Using a name here warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.inputs.splits": ("SPLIT_ROLES", "MIN_ACCOUNTS", "DEV_FRACTION", "rows_text",
                               "compact_rows", "split_roles", "carve", "Split", "plan_split",
                               "select_rows", "dataset_dict_rows", "hold_out_test"),
})
