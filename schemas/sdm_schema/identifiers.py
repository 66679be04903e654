"""DOI, CSTR and unified social credit code recognition, written once.

The form validators (sdm_schema.validation), the DCAT reader (rdf/dcat.py),
the OAI-PMH source and the harvest configuration all meet these identifiers
in the same spellings — `doi:10.…`, `https://doi.org/10.…`,
`https://cstr.cn/31253.11.…`, `CSTR:31253.11.…` — and must agree on what
each spelling means.
"""

from __future__ import annotations

import re

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

#: A DOI and the prefixes it is written with; group 1 is the bare DOI.
_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
#: How a CSTR is announced: its resolver or its `CSTR:` label.
_CSTR_PREFIX = re.compile(r"^(?:https?://(?:www\.)?cstr\.cn/)?(?:CSTR:)?", re.IGNORECASE)
#: GB/T 32843: 5-character agency prefix, 2-digit resource type, local id.
_CSTR = re.compile(r"^\w{5}\.\d{2}\.\S+$")


def doi(text: object) -> str | None:
    """The bare DOI (`10.…/…`) of a DOI in any of its spellings, else None."""
    match = _DOI.match(str(text or "").strip())
    return match.group(1) if match else None


def _cstr_body(text: object) -> tuple[str, bool]:
    """The CSTR without resolver and label, and whether either was there."""
    raw = str(text or "").strip()
    prefix = _CSTR_PREFIX.match(raw).group(0)
    return raw[len(prefix) :], bool(prefix)


def cstr(text: object) -> str | None:
    """A CSTR as `CSTR:` + its body, from any of its spellings, else None."""
    body, _announced = _cstr_body(text)
    return "CSTR:" + body if _CSTR.match(body) else None


def recognise(text: object) -> tuple[str, str] | None:
    """("doi", bare DOI) or ("cstr", "CSTR:…") for an identifier written as
    one, else None.  A CSTR is recognised by its resolver or label even
    when its body is malformed, so that validation names the error rather
    than the identifier being dropped."""
    found = doi(text)
    if found:
        return "doi", found
    body, announced = _cstr_body(text)
    if announced and body:
        return "cstr", "CSTR:" + body
    return None


class UsccError(ValueError):
    """A refused unified social credit code; `problem` names what is wrong
    (length, format or checksum), so that messages can say it in every
    language rather than repeat stdnum's English."""

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(text)
        self.problem = problem


#: What each of stdnum's refusals means for a USCC.
_USCC_PROBLEMS = ((InvalidLength, "length"), (InvalidFormat, "format"), (InvalidChecksum, "checksum"))


def uscc(text: object) -> str:
    """A unified social credit code (GB 32100-2015), its check character
    verified; UsccError (a ValueError) naming the problem otherwise."""
    try:
        return stdnum_uscc.validate(str(text or "").strip())
    except StdnumError as error:
        problem = next((name for kind, name in _USCC_PROBLEMS if isinstance(error, kind)), "format")
        raise UsccError(error.message, problem) from error
