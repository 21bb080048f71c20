"""The one LRU helper (metrics/lru.py)."""

import threading

import pytest

from metrics.lru import LRU, keep


def test_a_put_past_the_bound_drops_the_least_recently_used():
    lru = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "a" is now the most recent: "b" goes next
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)


def test_a_put_of_an_existing_key_replaces_it_without_growing():
    lru = LRU(2)
    lru.put("a", 1)
    lru.put("a", 2)
    assert (len(lru), lru.get("a")) == (1, 2)


def test_none_is_refused_because_it_means_a_miss():
    with pytest.raises(ValueError, match="means a miss"):
        LRU(1).put("a", None)


def test_concurrent_puts_keep_the_bound():
    lru = LRU(50)

    def fill(offset: int) -> None:
        for n in range(2000):
            lru.put(offset + n, n)
            lru.get(offset + n // 2)

    threads = [threading.Thread(target=fill, args=(k * 10_000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(lru) == 50


def test_keep_empties_a_full_dict_and_skips_long_keys():
    cache: dict = {}
    keep(cache, b"a", 1, maxsize=2, max_key_bytes=3)
    keep(cache, b"b", 2, maxsize=2, max_key_bytes=3)
    keep(cache, b"long", 3, maxsize=2, max_key_bytes=3)
    assert cache == {b"a": 1, b"b": 2}
    keep(cache, b"c", 4, maxsize=2, max_key_bytes=3)
    assert cache == {b"c": 4}
