"""Names for the closed vocabularies the portal shows: domains, purposes, roles, states.

Each is marked for the catalogue, so the Chinese page names them in Chinese; a test holds
the domains and purposes here equal to the closed taxonomy, so a new one cannot go unnamed.
"""

from __future__ import annotations

from collections.abc import Mapping

from socialcredit.web.i18n import N_

__all__ = ["DOMAINS", "NOTICES", "PURPOSES", "ROLES", "STATES", "name_in"]

DOMAINS: Mapping[str, str] = {
    "judicial": N_("judicial"),
    "tax": N_("tax"),
    "finance": N_("finance"),
    "commerce": N_("commerce"),
    "traffic": N_("traffic"),
    "public_order": N_("public order"),
    "environment": N_("environment"),
    "labour": N_("labour"),
    "production_safety": N_("production safety"),
    "civic": N_("civic"),
    "civil_obligation": N_("civil obligations"),
    "health_donation": N_("blood and organ donation"),
    "education_integrity": N_("education integrity"),
}

PURPOSES: Mapping[str, str] = {
    "air_travel": N_("air travel"),
    "rail_soft_sleeper": N_("rail soft sleeper"),
    "rail_g_train": N_("high-speed rail (G trains)"),
    "hotel_star_rated": N_("star-rated hotels"),
    "real_estate_purchase": N_("buying real estate"),
    "vehicle_purchase": N_("buying a vehicle"),
    "leisure_travel": N_("leisure travel"),
    "private_school_fees": N_("private school fees"),
    "high_premium_insurance": N_("high-premium insurance"),
    "bank_loan": N_("bank loans"),
    "credit_card": N_("credit cards"),
    "mortgage": N_("mortgages"),
    "rental_deposit_waiver": N_("rental deposit waiver"),
    "hotel_deposit_waiver": N_("hotel deposit waiver"),
    "bike_share_deposit_waiver": N_("bike share deposit waiver"),
    "library_deposit_waiver": N_("library deposit waiver"),
    "power_bank_deposit_waiver": N_("power bank deposit waiver"),
    "utility_pay_later": N_("pay utilities later"),
    "parking_pay_later": N_("pay parking later"),
    "public_procurement": N_("public procurement"),
    "government_subsidy": N_("government subsidies"),
    "business_licence": N_("business licences"),
    "community_services_priority": N_("priority for community services"),
    "merchant_discounts": N_("merchant discounts"),
    "heating_bill_discount": N_("heating bill discount"),
    "transit_discount": N_("transit discount"),
    "library_perks": N_("library perks"),
    "community_honours_nomination": N_("nomination for community honours"),
}

ROLES: Mapping[str, str] = {
    "admin": N_("operator"),
    "reviewer": N_("reviewer"),
    "source": N_("reporting source"),
    "relying_party": N_("relying party"),
    "subject": N_("subject"),
}

# Where listings, disputes and repair applications stand.
STATES: Mapping[str, str] = {
    "proposed": N_("proposed"),
    "noticed": N_("notice served"),
    "under_appeal": N_("under appeal"),
    "effective": N_("in effect"),
    "overturned": N_("overturned"),
    "expired": N_("expired"),
    "removed": N_("removed"),
    "corrected": N_("corrected"),
    "not_listed": N_("not listed"),
    "open": N_("open"),
    "source_notified": N_("source notified"),
    "removed_unverified": N_("removed: not confirmed in time"),
    "confirmed": N_("confirmed by the source"),
    "withdrawn": N_("withdrawn by the source"),
    "removed_by_reviewer": N_("removed: the reviewer found it unsubstantiated"),
    "applied": N_("applied"),
    "accepted": N_("accepted"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "pending": N_("pending"),
    "appeal": N_("appeal"),
    "dispute": N_("dispute"),
    "repair": N_("credit repair"),
    "pending_event": N_("pending report"),
}

NOTICES: Mapping[str, str] = {
    "listing.notice": N_("Notice of listing"),
    "notice.adverse_action": N_("Adverse action: a decision went against you"),
    "notice.repair_decision": N_("Decision on your credit repair"),
    "dispute.outcome_sent": N_("Outcome of your dispute"),
}


def name_in(names: Mapping[str, str], key: str | None) -> str:
    """The marked name of `key` (to translate where shown); the key itself if unnamed."""
    if key is None:
        return ""
    return names.get(key, key)
