"""Calendar, parameters and vocabularies of the demo world."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cart_recovery import fx

# --------------------------------------------------------------------------------------------------------------
# calendar and parameters (the dbt_project.yml var defaults; the exception SLAs come from seeds/exception_rules.csv)
# --------------------------------------------------------------------------------------------------------------
START = 1782864000  # 2026-07-01T00:00:00Z
DAYS = 120
CUTOFF = START + DAYS * 86400  # 2026-10-29T00:00:00Z: events after this have not happened yet
HOUR = 3600
DAY = 86400
INF = np.iinfo(np.int64).max // 4
NONE = -1

ABANDONMENT_WINDOW = 60 * 60
RECOVERY_WINDOW = 7 * DAY
ATTRIBUTION_WINDOW = 120 * HOUR
HIGH_VALUE_CART_USD = 200
RULES_CSV = Path(__file__).resolve().parents[2] / "seeds" / "exception_rules.csv"

CURRENCIES = fx.CURRENCIES  # USD EUR GBP JPY
CUR_DIGITS = np.array([fx.MINOR_DIGITS[c] for c in CURRENCIES])
CUR_WEIGHTS = [0.55, 0.20, 0.15, 0.10]
# price of 1 USD in each currency's minor unit, used only to derive list prices
CUR_PER_USD_MINOR = np.array([100.0, 92.0, 79.0, 150.0])

OFFSET_MINUTES = np.array([-480, -420, -300, -240, 0, 60, 120, 330, 540], dtype=np.int64)
N_SKU = 400
REJECT_RATE = 0.003
REDELIVERY_RATE = 0.02

SOURCE_NAMES = ("web", "mobile_app", "pos", "draft")
WEB, MOBILE, POS, DRAFT = range(4)
# payment kinds
P_NONE, P_STRIPE_SALE, P_STRIPE_AUTHCAP, P_PAYPAL, P_GIFT, P_MANUAL = range(6)
GATEWAY_OF = {P_STRIPE_SALE: "stripe", P_STRIPE_AUTHCAP: "stripe", P_PAYPAL: "paypal", P_GIFT: "gift_card"}
GATEWAY_OF[P_MANUAL] = "manual"
GATEWAYS = ("stripe", "paypal", "manual", "gift_card")

INVALID_TIMESTAMPS = [
    "2026-07-03 10:15:00",
    "2026-07-03T10:15:00",
    "03/07/2026 10:15",
    "yesterday",
    "2026-13-45T25:61:00+00:00",
    "",
]
UNKNOWN_CURRENCIES = ["XXX", "ZZZ", "US", "EURO"]


def load_slas(path: Path = RULES_CSV) -> dict[str, int]:
    lines = path.read_text().strip().splitlines()
    header = lines[0].split(",")
    i_type, i_sla = header.index("exception_type"), header.index("sla_hours")
    slas = {}
    for line in lines[1:]:
        cells = line.split(",")
        slas[cells[i_type]] = int(cells[i_sla])
    return slas
