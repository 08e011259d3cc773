"""The e5 ensemble backend (its model lives in :mod:`afzender.ensemble` for now)."""
