"""The closed taxonomies a rulebook must stay inside: domains, purposes, forbidden subjects.

These are code, not configuration: a rulebook cannot add a domain, a purpose, or a way
around the forbidden list (DESIGN section 2, safeguards 3 and 7).
"""

from __future__ import annotations

import re
from types import MappingProxyType

__all__ = [
    "DOMAINS",
    "FORBIDDEN_TERMS",
    "PURPOSES",
    "forbidden_terms_in",
    "related_domains",
]

DOMAINS: frozenset[str] = frozenset(
    {
        "judicial",
        "tax",
        "finance",
        "commerce",
        "traffic",
        "public_order",
        "environment",
        "labour",
        "production_safety",
        "civic",
        "civil_obligation",
        "health_donation",
        "education_integrity",
    }
)

# Words that mark a rule as scoring something no rulebook may score: speech and opinion,
# petitioning, assembly, religion, ethnicity, health status, relatives' conduct, politics.
# Matched against whole words of a rule's id, trigger and title, so a rule cannot slip
# through under a harmless domain.
FORBIDDEN_TERMS: MappingProxyType[str, str] = MappingProxyType(
    {
        **dict.fromkeys(
            [
                "speech",
                "opinion",
                "opinions",
                "post",
                "posts",
                "posting",
                "posted",
                "blog",
                "weibo",
                "wechat",
                "comment",
                "comments",
                "rumour",
                "rumours",
                "rumor",
                "rumors",
                "expression",
                "publication",
                "censorship",
            ],
            "speech and opinion",
        ),
        **dict.fromkeys(
            ["petition", "petitions", "petitioning", "petitioner", "xinfang"], "petitioning"
        ),
        **dict.fromkeys(
            ["assembly", "protest", "protests", "demonstration", "rally", "gathering", "strike"],
            "assembly",
        ),
        **dict.fromkeys(
            [
                "religion",
                "religious",
                "worship",
                "faith",
                "church",
                "mosque",
                "temple",
                "prayer",
                "sect",
            ],
            "religion",
        ),
        **dict.fromkeys(
            ["ethnic", "ethnicity", "race", "racial", "minority", "nationality"], "ethnicity"
        ),
        **dict.fromkeys(
            [
                "illness",
                "disease",
                "diagnosis",
                "hiv",
                "disability",
                "disabled",
                "pregnancy",
                "pregnant",
                "psychiatric",
                "medical",
            ],
            "health status",
        ),
        **dict.fromkeys(
            [
                "relative",
                "relatives",
                "family",
                "spouse",
                "kin",
                "household",
                "sibling",
                "offspring",
            ],
            "relatives",
        ),
        **dict.fromkeys(
            ["political", "politics", "dissent", "dissident", "criticism", "subversion"],
            "political opinion",
        ),
    }
)

_WORD = re.compile(r"[a-z]+")


def forbidden_terms_in(*texts: str) -> dict[str, str]:
    """Every forbidden word found in the texts, mapped to the protected subject it touches."""
    found: dict[str, str] = {}
    for text in texts:
        for word in _WORD.findall(text.lower()):
            if word in FORBIDDEN_TERMS:
                found[word] = FORBIDDEN_TERMS[word]
    return found


_COURT_LIST_RESTRICTIONS = frozenset({"judicial", "finance"})
_CREDIT = frozenset({"finance", "judicial", "tax", "commerce"})
_DEPOSIT_WAIVER = frozenset({"finance", "commerce", "judicial"})
_PUBLIC_CONTRACTING = frozenset(
    {"tax", "commerce", "labour", "environment", "production_safety", "judicial", "finance"}
)
# Rewards are earned by good deeds and are not withheld for unrelated offences.
_COMMUNITY_REWARDS = frozenset({"civic", "health_donation"})
_HONOURS = frozenset(
    {
        "civic",
        "health_donation",
        "public_order",
        "civil_obligation",
        "judicial",
        "education_integrity",
    }
)

# Each purpose a relying party may ask about, with the only domains whose records may
# bear on it (EU AI Act Art. 5(1)(c)(i): no detriment in an unrelated social context).
PURPOSES: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        **dict.fromkeys(
            [
                "air_travel",
                "rail_soft_sleeper",
                "rail_g_train",
                "hotel_star_rated",
                "real_estate_purchase",
                "vehicle_purchase",
                "leisure_travel",
                "private_school_fees",
                "high_premium_insurance",
            ],
            _COURT_LIST_RESTRICTIONS,
        ),
        **dict.fromkeys(["bank_loan", "credit_card", "mortgage"], _CREDIT),
        **dict.fromkeys(
            [
                "rental_deposit_waiver",
                "hotel_deposit_waiver",
                "bike_share_deposit_waiver",
                "library_deposit_waiver",
                "power_bank_deposit_waiver",
                "utility_pay_later",
                "parking_pay_later",
            ],
            _DEPOSIT_WAIVER,
        ),
        **dict.fromkeys(
            ["public_procurement", "government_subsidy", "business_licence"], _PUBLIC_CONTRACTING
        ),
        **dict.fromkeys(
            [
                "community_services_priority",
                "merchant_discounts",
                "heating_bill_discount",
                "transit_discount",
                "library_perks",
            ],
            _COMMUNITY_REWARDS,
        ),
        "community_honours_nomination": _HONOURS,
    }
)


def related_domains(purpose: str) -> frozenset[str]:
    """The domains whose records may bear on a purpose; empty for an unknown purpose."""
    return PURPOSES.get(purpose, frozenset())
