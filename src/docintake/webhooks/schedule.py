"""When a failed delivery is tried again.

The schedule (``DOCINTAKE_WEBHOOK_RETRY_SCHEDULE``) grows from seconds to hours so a receiver that
blinked gets its events at once and one that is down for a day still gets them; jitter spreads the
retries of the many deliveries that failed together so a recovering receiver is not flattened by
them. A receiver's ``Retry-After`` is a floor: a retry never goes out sooner than asked, but no
receiver can park a delivery beyond ``DOCINTAKE_WEBHOOK_RETRY_AFTER_MAX_SECONDS``.
"""

from __future__ import annotations

import random
from datetime import datetime
from email.utils import parsedate_to_datetime

from docintake.clock import as_utc, utcnow
from docintake.settings import Settings

_rng = random.SystemRandom()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); None when absent
    or unreadable (the schedule alone decides then)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, (as_utc(when) - (now or utcnow())).total_seconds())


def retry_delay(settings: Settings, attempt: int, retry_after: float | None = None) -> float | None:
    """Seconds to wait after attempt number ``attempt`` (1 = the first) failed; None once the
    schedule is spent and the delivery fails for good."""
    delays = settings.webhook_retry_delays
    if attempt > len(delays):
        return None
    jitter = max(0.0, min(settings.webhook_retry_jitter, 1.0))
    delay = delays[attempt - 1] * (1 + _rng.uniform(-jitter, jitter))
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.webhook_retry_after_max_seconds))
    return delay
