"""The rebuild turns the cyclic garbage collector off for its replay only."""
import gc

import pytest

from ventanilla.adapters.projection_rebuild import without_cycle_collection


def test_the_collector_is_off_inside_and_on_again_after_even_on_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with without_cycle_collection():
            assert not gc.isenabled()
            raise RuntimeError("a replay that failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with without_cycle_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
