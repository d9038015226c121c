"""Build a 1-year spot file and SIGKILL the process after N inner uploads were written.

python kill_delivery.py WAREHOUSE DELIVERY SUPPORT_ID TMID COMPUTER NOW_ISO KILL_AFTER
"""

import datetime as dt
import os
import signal
import sys

from assets.delivery import build as dl
from storage import upload_bytes
from storage.contracts import Contract
from storage.notices import OutboxSender
from storage.roots import Root

wh_uri, delivery_uri, support_id, tmid, computer, now, kill_after = sys.argv[1:8]
fetched = 0
original = upload_bytes.UploadBytes.__call__


def fetch_then_die(self, ref):
    global fetched
    fetched += 1
    if fetched > int(kill_after):
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, ref)


upload_bytes.UploadBytes.__call__ = fetch_then_die
contract = Contract(support_id, True, None, None, None)
wh = Root(wh_uri)
dl.spot_1_year(
    dl.Roots(wh, Root(delivery_uri)),
    contract,
    tmid,
    computer,
    None,
    dt.datetime.fromisoformat(now),
    OutboxSender(wh),
)
