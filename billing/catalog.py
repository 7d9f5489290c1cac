"""The simulated cloud's catalog: Tencent-like product codes, specs, list prices and regions.

`ensure_catalog()` is idempotent (it updates by code) and is run by seed_demo. A production
start loads it once with `manage.py load_catalog` (`ensure_catalog(update=False)`): it adds
what is missing and never overwrites what operators then edit in the Django admin.
"""

from decimal import Decimal as D

from django.db import transaction

from billing.models import Product, Region, Spec
from billing.models.choices import Cycle

REGIONS = [
    ("ap-guangzhou", "Guangzhou"),
    ("ap-shanghai", "Shanghai"),
    ("ap-beijing", "Beijing"),
    ("ap-chengdu", "Chengdu"),
    ("ap-hongkong", "Hong Kong"),
    ("ap-singapore", "Singapore"),
]

# code, name, description, subscription?, pay-as-you-go?, cycle, unit, specs
# spec: code, name, monthly price (subscription or pack), price per cycle (pay-as-you-go),
# and for resource packs the usage units one pack absorbs per month bought
PRODUCTS = [
    (
        "p_cvm",
        "Cloud Virtual Machine",
        "Elastic compute instances (CVM).",
        True,
        True,
        Cycle.HOURLY,
        "instance-hour",
        [
            ("S5.SMALL2", "S5 · 1 vCPU · 2 GiB", D("65.00"), D("0.1200")),
            ("S5.MEDIUM4", "S5 · 2 vCPU · 4 GiB", D("150.00"), D("0.2800")),
            ("S5.LARGE8", "S5 · 4 vCPU · 8 GiB", D("300.00"), D("0.5500")),
            ("S5.2XLARGE16", "S5 · 8 vCPU · 16 GiB", D("600.00"), D("1.1000")),
        ],
    ),
    (
        "p_cbs",
        "Cloud Block Storage",
        "Persistent block storage for CVM (CBS).",
        True,
        False,
        "",
        "",
        [
            ("PREMIUM-100", "Premium cloud disk · 100 GB", D("35.00"), None),
            ("PREMIUM-500", "Premium cloud disk · 500 GB", D("175.00"), None),
            ("SSD-200", "SSD cloud disk · 200 GB", D("160.00"), None),
        ],
    ),
    (
        "p_cdb",
        "TencentDB for MySQL",
        "Managed MySQL databases (CDB).",
        True,
        False,
        "",
        "",
        [
            ("BASIC-2C4G", "Basic · 2 cores · 4 GB · 100 GB", D("298.00"), None),
            ("HA-4C8G", "Two-node HA · 4 cores · 8 GB · 200 GB", D("796.00"), None),
            ("HA-8C16G", "Two-node HA · 8 cores · 16 GB · 400 GB", D("1592.00"), None),
        ],
    ),
    (
        "p_clb",
        "Cloud Load Balancer",
        "Layer-4/7 load balancing (CLB).",
        False,
        True,
        Cycle.HOURLY,
        "instance-hour",
        [
            ("CLB-STANDARD", "Standard instance", None, D("0.0200")),
            ("CLB-PERFORMANCE", "Performance instance · LCU included", None, D("0.2100")),
        ],
    ),
    (
        "p_cos",
        "Cloud Object Storage",
        "Object storage (COS), billed daily.",
        False,
        True,
        Cycle.DAILY,
        "GB-day",
        [
            ("COS-STANDARD", "Standard storage · per 100 GB-day", None, D("0.3300")),
            ("COS-IA", "Infrequent access · per 100 GB-day", None, D("0.2000")),
            (
                "COS-PACK-300",
                "Storage pack · 300 × 100 GB-days a month",
                D("85.00"),
                None,
                D("300"),
            ),
        ],
    ),
    (
        "p_cdn",
        "Content Delivery Network",
        "Global acceleration (CDN), billed monthly.",
        False,
        True,
        Cycle.MONTHLY,
        "TB",
        [
            ("CDN-TRAFFIC", "Chinese mainland traffic · per TB", None, D("210.0000")),
            ("CDN-PACK-1TB", "Traffic pack · 1 TB a month", D("180.00"), None, D("1")),
        ],
    ),
]


@transaction.atomic
def ensure_catalog(*, update: bool = True) -> int:
    """Load the standard catalog by code; return how many regions, products and specs were
    created. `update=False` leaves existing rows as they are (an operator's edits stay)."""

    def put(model, defaults, **key):
        if update:
            return model.objects.update_or_create(**key, defaults=defaults)
        return model.objects.get_or_create(**key, defaults=defaults)

    created = 0
    for code, name in REGIONS:
        created += put(Region, {"name": name}, code=code)[1]
    for position, (code, name, description, sub, payg, cycle, unit, specs) in enumerate(PRODUCTS):
        product, new = put(
            Product,
            {
                "name": name,
                "description": description,
                "sells_subscription": sub,
                "sells_payg": payg,
                "payg_cycle": cycle,
                "payg_unit": unit,
                "position": position,
            },
            code=code,
        )
        created += new
        for rank, (spec_code, spec_name, monthly, per_cycle, *pack) in enumerate(specs):
            created += put(
                Spec,
                {
                    "name": spec_name,
                    "rank": rank,
                    "monthly_price": monthly,
                    "payg_price": per_cycle,
                    "pack_quantity": pack[0] if pack else None,
                },
                product=product,
                code=spec_code,
            )[1]
    return created
