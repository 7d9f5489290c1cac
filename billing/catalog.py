"""The simulated cloud's catalog: Tencent-like product codes, specs, list prices and regions.

`ensure_catalog()` is idempotent (it updates by code) and is run by seed_demo. A production
start loads it once with `manage.py load_catalog` (`ensure_catalog(update=False)`): it adds
what is missing and never overwrites what operators then edit in the Django admin.

Issue 17: every name also has its Chinese (`*_ZH` below, Tencent Cloud's own Chinese names,
docs/glossary-zh.md). `update=False` fills a Chinese name that is blank (a row loaded before
the Chinese columns existed) and keeps one an operator wrote.
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

# region code → Chinese name
REGIONS_ZH = {
    "ap-guangzhou": "广州",
    "ap-shanghai": "上海",
    "ap-beijing": "北京",
    "ap-chengdu": "成都",
    "ap-hongkong": "中国香港",
    "ap-singapore": "新加坡",
}

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


# product code → Chinese name, description and usage unit ("": the English unit shows, as
# for TB, which reads the same in Chinese)
PRODUCTS_ZH = {
    "p_cvm": ("云服务器", "弹性计算实例（CVM）。", "实例·小时"),
    "p_cbs": ("云硬盘", "为云服务器提供的持久化块存储（CBS）。", ""),
    "p_cdb": ("云数据库 MySQL", "托管的 MySQL 数据库（CDB）。", ""),
    "p_clb": ("负载均衡", "四层/七层负载均衡（CLB）。", "实例·小时"),
    "p_cos": ("对象存储", "对象存储（COS），按日结算。", "GB·天"),
    "p_cdn": ("内容分发网络", "全球加速（CDN），按月结算。", ""),
}

# (product code, spec code) → Chinese name
SPECS_ZH = {
    ("p_cvm", "S5.SMALL2"): "标准型 S5 · 1 核 · 2 GiB",
    ("p_cvm", "S5.MEDIUM4"): "标准型 S5 · 2 核 · 4 GiB",
    ("p_cvm", "S5.LARGE8"): "标准型 S5 · 4 核 · 8 GiB",
    ("p_cvm", "S5.2XLARGE16"): "标准型 S5 · 8 核 · 16 GiB",
    ("p_cbs", "PREMIUM-100"): "高性能云硬盘 · 100 GB",
    ("p_cbs", "PREMIUM-500"): "高性能云硬盘 · 500 GB",
    ("p_cbs", "SSD-200"): "SSD 云硬盘 · 200 GB",
    ("p_cdb", "BASIC-2C4G"): "基础版 · 2 核 · 4 GB · 100 GB",
    ("p_cdb", "HA-4C8G"): "双节点高可用版 · 4 核 · 8 GB · 200 GB",
    ("p_cdb", "HA-8C16G"): "双节点高可用版 · 8 核 · 16 GB · 400 GB",
    ("p_clb", "CLB-STANDARD"): "标准型实例",
    ("p_clb", "CLB-PERFORMANCE"): "性能容量型实例 · 含 LCU",
    ("p_cos", "COS-STANDARD"): "标准存储 · 每 100 GB·天",
    ("p_cos", "COS-IA"): "低频存储 · 每 100 GB·天",
    ("p_cos", "COS-PACK-300"): "存储容量包 · 每月 300 × 100 GB·天",
    ("p_cdn", "CDN-TRAFFIC"): "中国境内流量 · 每 TB",
    ("p_cdn", "CDN-PACK-1TB"): "流量包 · 每月 1 TB",
}


@transaction.atomic
def ensure_catalog(*, update: bool = True) -> int:
    """Load the standard catalog by code; return how many regions, products and specs were
    created. `update=False` leaves existing rows as they are (an operator's edits stay), and
    only fills their Chinese texts that are blank."""

    def put(model, defaults, chinese, **key):
        if update:
            return model.objects.update_or_create(**key, defaults={**defaults, **chinese})
        row, new = model.objects.get_or_create(**key, defaults={**defaults, **chinese})
        blank = [f for f, text in chinese.items() if text and not getattr(row, f)]
        if blank and not new:
            for f in blank:
                setattr(row, f, chinese[f])
            row.save(update_fields=blank)
        return row, new

    created = 0
    for code, name in REGIONS:
        created += put(Region, {"name": name}, {"name_zh": REGIONS_ZH.get(code, "")}, code=code)[1]
    for position, (code, name, description, sub, payg, cycle, unit, specs) in enumerate(PRODUCTS):
        name_zh, description_zh, unit_zh = PRODUCTS_ZH.get(code, ("", "", ""))
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
            {"name_zh": name_zh, "description_zh": description_zh, "payg_unit_zh": unit_zh},
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
                {"name_zh": SPECS_ZH.get((code, spec_code), "")},
                product=product,
                code=spec_code,
            )[1]
    return created
