"""Constants the plugin tests share.  A module of its own, not conftest.py:
each test folder has a conftest, and `from conftest import …` gets whichever
one pytest imported last."""

#: A valid unified social credit code (GB 32100-2015 check character).
USCC = "91110000600037341L"
