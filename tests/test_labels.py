import pytest

import afzender
from afzender.errors import DataError
from afzender.labels import normalize_label, normalize_labels


def test_labels_order():
    assert afzender.LABELS == ("minister-in-functie", "partijpoliticus", "privépersoon")


@pytest.mark.parametrize("value, expected", [
    ("minister-in-functie", "minister-in-functie"),
    ("Minister in Functie", "minister-in-functie"),
    ("functie", "minister-in-functie"),
    ("in_functie", "minister-in-functie"),
    ("MINISTER", "minister-in-functie"),
    ("partij", "partijpoliticus"),
    ("Partijpolitiek", "partijpoliticus"),
    (" partijpoliticus ", "partijpoliticus"),
    ("prive", "privépersoon"),
    ("Privé", "privépersoon"),
    ("privepersoon", "privépersoon"),
    ("PRIVÉPERSOON", "privépersoon"),
])
def test_loose_spellings(value, expected):
    assert normalize_label(value) == expected


@pytest.mark.parametrize("value", ["", "minister-president", "vvd", None, 1, "privé persoon x"])
def test_unknown_labels_are_none(value):
    assert normalize_label(value) is None


def test_unknown_labels_error_lists_values_and_rows():
    with pytest.raises(DataError) as info:
        normalize_labels(["partij", "burger", "prive", "burger", "", "functie"],
                         ["line 2", "line 3", "line 4", "line 5", "line 6", "line 7"])
    message = str(info.value)
    assert "'burger' at line 3, line 5" in message
    assert "'' at line 6" in message
    assert "line 2" not in message
