"""smtpdoctor: find out why an app's SMTP mail fails, and say the fix.

The Python API (each loads the checker only when called, so the command line stays fast)::

    report = smtpdoctor.check({"SMTP_HOST": "smtp.qq.com", ...})
    report = await smtpdoctor.acheck(row, client="aiosmtplib")
    report.ok, report.exit_code, report.failure, report.to_dict()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Unpack

from smtpdoctor.codes import __version__

if TYPE_CHECKING:
    from smtpdoctor.api import Options
    from smtpdoctor.model import Report

__all__ = ["__version__", "acheck", "asend_test", "check", "send_test"]


def check(settings: Mapping[str, object], **options: Unpack[Options]) -> Report:
    """Check ``settings`` (any family's variables or the multi-tenant field names); no ``.env``,
    no environment is read. See :class:`smtpdoctor.api.Options` for the options."""
    from smtpdoctor import api

    return api.check(settings, **options)


async def acheck(settings: Mapping[str, object], **options: Unpack[Options]) -> Report:
    """:func:`check` inside a running event loop (FastAPI, aiohttp…)."""
    from smtpdoctor import api

    return await api.acheck(settings, **options)


def send_test(settings: Mapping[str, object], recipient: str | tuple[str, ...],
              **options: Unpack[Options]) -> Report:
    """:func:`check`, then one real test message to ``recipient``."""
    from smtpdoctor import api

    return api.send_test(settings, recipient, **options)


async def asend_test(settings: Mapping[str, object], recipient: str | tuple[str, ...],
                     **options: Unpack[Options]) -> Report:
    from smtpdoctor import api

    return await api.asend_test(settings, recipient, **options)
