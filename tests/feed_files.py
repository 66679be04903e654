"""What the publish tests compare: two feed folders, file for file.

A publish in several processes, in jobs or from an index must write the
bytes one process writes afresh (tests/rdf/test_incremental_publish.py,
tests/harvester/test_split_publish.py, tests/harvester/test_store_publish.py).
"""

import filecmp
import os

from sdm_harvester.publish import FEEDS


def same_feeds(left, right):
    """Every feed's folder under `left` holds the files of the one under `right`, byte for byte."""
    for name in FEEDS:
        names = sorted(os.listdir(left / name))
        assert names == sorted(os.listdir(right / name)), name
        _match, mismatch, errors = filecmp.cmpfiles(left / name, right / name, names, shallow=False)
        assert not mismatch and not errors, (name, mismatch, errors)
