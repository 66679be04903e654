"""Constants the evaluation tests share.  A module of its own, not
conftest.py: each test folder has a conftest, and `from conftest import …`
gets whichever one pytest imported last."""

import datetime as dt
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TODAY = dt.date(2025, 1, 1)
BASE = "https://data.example.cn"
