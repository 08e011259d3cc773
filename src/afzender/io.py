"""Deprecated for one release: reading posts and tables moved to :mod:`afzender.inputs.posts`,
:mod:`afzender.inputs.tables`. Using a name here warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.inputs.posts": ("check_text", "as_text_list", "iter_batches"),
    "afzender.inputs.tables": ("Rows", "TABLE_SUFFIXES", "CSV_SEPARATORS", "CSV_FIELD_LIMIT",
                               "csv_separator", "iter_file_rows", "sniff_separator", "read_table"),
})
