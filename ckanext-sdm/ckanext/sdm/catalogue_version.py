"""The catalogue's version: one Redis hash that changes whenever anything a
DCAT page may show, or whom it may be shown to, changes.

conditional_get.py builds the public's ETag of a catalogue page from it, so
a cache hit or a 304 costs one Redis read and no search.  It is bumped here,
by the plugin, after every database commit that wrote anything but what no
page shows (`_UNSEEN`): dataset create/update/delete, resources, tags,
memberships, grants, units and their fields, the site's settings — whatever
wrote them (actions, the forms, `ckan` commands, the harvester, a test
editing the model).  A denylist rather than a list of the tables that
matter, so a table added later bumps the version until someone shows it
cannot change a page.

The counter starts at a random number when it is missing (a new site, a
flushed or replaced Redis): counting again from 1 would hand out ETags
a client may hold for other content.  `changed` is when it last moved, for
Last-Modified.

What the version cannot see: the day turning (an embargo ending by itself,
disclosure rule 4 — the ETag adds the date), and writes made past CKAN's
session (pg_restore: backup.py bumps after a restore).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from typing import Any, NamedTuple

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy
import sqlalchemy.orm
from ckan.lib.redis import connect_to_redis
from redis.exceptions import RedisError
from sqlalchemy import inspect
from sqlalchemy.sql.elements import TextClause

log = logging.getLogger(__name__)

#: The session's note that this transaction wrote something a page may show.
_CHANGED = "sdm_catalogue_changed"
#: A User row whose only change is one of these is a sign-in, not a change
#: of who may see what (CKAN writes last_active on signed-in requests).
_USER_ACTIVITY = frozenset({"last_active"})


class Version(NamedTuple):
    counter: str
    #: UTC, naive like CKAN's dates
    changed: dt.datetime


def _key() -> str:
    return f"{tk.config.get('ckan.site_id')}:sdm:catalogue-version"


@functools.cache
def _unseen() -> tuple:
    """Model classes no DCAT page shows and no audience depends on."""
    from ckanext.sdm.model import AuditEvent

    classes: list = [model.ApiToken, model.Dashboard, AuditEvent]
    try:  # the activity plugin's, when installed
        from ckanext.activity.model import Activity
    except ImportError:
        pass
    else:
        classes.append(Activity)
    return tuple(classes)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat()


def _fresh(pipe: Any) -> None:
    """A random start, kept if the counter exists already."""
    pipe.hsetnx(_key(), "counter", secrets.randbits(62))
    pipe.hsetnx(_key(), "changed", _now())


def current() -> Version:
    """The version, in one Redis read (two when it had to be made)."""
    found = connect_to_redis().hgetall(_key())
    if b"counter" not in found:
        with connect_to_redis().pipeline() as pipe:
            _fresh(pipe)
            pipe.hgetall(_key())
            found = pipe.execute()[-1]
    changed = dt.datetime.fromisoformat(found[b"changed"].decode()).replace(tzinfo=None)
    return Version(found[b"counter"].decode(), changed)


def bump() -> None:
    """A new version: every cached page and every ETag handed out is old."""
    try:
        with connect_to_redis().pipeline() as pipe:
            _fresh(pipe)
            pipe.hincrby(_key(), "counter", 1)
            pipe.hset(_key(), "changed", _now())
            pipe.execute()
    except RedisError:
        # the pages' validators need Redis too: none are handed out without it
        log.warning("catalogue version not bumped: Redis unavailable", exc_info=True)


def _seen(obj: object, session: sqlalchemy.orm.Session) -> bool:
    """Whether writing `obj` may change a page or its audience."""
    if isinstance(obj, _unseen()):
        return False
    if isinstance(obj, model.User) and obj in session.dirty:
        changed = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
        return not changed <= _USER_ACTIVITY
    return True


@sqlalchemy.event.listens_for(sqlalchemy.orm.Session, "before_flush")
def _note_writes(session: sqlalchemy.orm.Session, _context: object, _instances: object) -> None:
    if session.info.get(_CHANGED):
        return
    dirty = (obj for obj in session.dirty if session.is_modified(obj))
    for objects in (session.new, session.deleted, dirty):
        if any(_seen(obj, session) for obj in objects):
            session.info[_CHANGED] = True
            return


@sqlalchemy.event.listens_for(sqlalchemy.orm.Session, "do_orm_execute")
def _note_statements(state: sqlalchemy.orm.ORMExecuteState) -> None:
    """Bulk UPDATE / DELETE / INSERT and plain SQL statements pass no object
    through the flush; plain SQL counts as a write unless it is a SELECT."""
    statement = state.statement
    plain = isinstance(statement, TextClause) and not str(statement).lstrip()[:6].upper() == "SELECT"
    if state.is_update or state.is_delete or state.is_insert or plain:
        state.session.info[_CHANGED] = True


@sqlalchemy.event.listens_for(sqlalchemy.orm.Session, "after_commit")
def _bump_after_commit(session: sqlalchemy.orm.Session) -> None:
    if session.info.pop(_CHANGED, False):
        bump()


@sqlalchemy.event.listens_for(sqlalchemy.orm.Session, "after_rollback")
def _forget_writes(session: sqlalchemy.orm.Session) -> None:
    session.info.pop(_CHANGED, None)
