"""How a test acts as someone: the context of an action call, the headers
of a page request signed in with an API token, and an application for
access, each said once so that a test says only what differs."""

from ckan.tests import factories
from ckan.tests.helpers import call_action

#: An application for access as a reader fills the form in.
APPLICATION = {"purpose": "研究区域降水变化", "intended_use": "发表论文", "applicant_unit": "四川大学"}


def as_user(user) -> dict:
    """The context of an action called by `user` (None: anonymous), its
    authorisation checked as a request's would be."""
    return {"user": user["name"] if user else None, "ignore_auth": False}


def signed_in(user) -> dict:
    """The headers of a page request by `user`: a fresh API token."""
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def apply_for(user, dataset_id: str, **fields) -> dict:
    """`user`'s application for access to the dataset: APPLICATION, `fields` instead where given."""
    return call_action("sdm_access_request_create", context=as_user(user), id=dataset_id, **{**APPLICATION, **fields})
