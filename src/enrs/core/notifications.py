# TEMPORARY LOCAL STUB (untracked, never committed): replaced by the lead's kernel at merge.
outbox = []
def notify(recipient, *, kind, title, body="", link="", email=True, sms=False, phone=None):
    outbox.append(dict(recipient=recipient, kind=kind, title=title, body=body, link=link, email=email))
def unread_count(user): return 0
def mark_read(user, ids): pass
