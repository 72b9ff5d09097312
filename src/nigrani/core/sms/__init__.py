"""SMS: registered (DLT) templates, queued through the outbox, sent by the configured backend.

`queue_sms` is the one way to send; `templates` holds every message; `gateway` the backends;
`reports` the delivery-report webhook's rules; `dead_letters` what an administrator retries.
"""

from nigrani.core.sms.models import SmsMessage
from nigrani.core.sms.service import queue_sms, sent_texts

__all__ = ["SmsMessage", "queue_sms", "sent_texts"]
