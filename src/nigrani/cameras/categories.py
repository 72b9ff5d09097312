"""The camera categories of the Kanpur seed (linked today) and the planned additions."""

from __future__ import annotations

from typing import NamedTuple


class CategorySpec(NamedTuple):
    code: str
    name_en: str
    name_hi: str
    is_public: bool
    target: int  # cameras the city aims to link in this category (admin can change)


# The seed's table (Kanpur Smart City, linked cameras) plus the planned categories.
# Targets: industrial 1,000, commercial 500, hospitals 200, petrol pumps 141 come from the
# seed; the rest share the remaining planned total of 5,000 and are illustrative.
DEFAULT_CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("shop", "Shops", "दुकानें", False, 0),
    CategorySpec("commercial", "Commercial complexes", "व्यावसायिक प्रतिष्ठान", False, 500),
    CategorySpec("school", "Schools", "विद्यालय", False, 0),
    CategorySpec("smart_city", "Smart City", "स्मार्ट सिटी", True, 0),
    CategorySpec("nagar_nigam", "Nagar Nigam", "नगर निगम", True, 0),
    CategorySpec("hospital", "Hospitals", "अस्पताल", False, 200),
    CategorySpec("petrol_pump", "Petrol pumps", "पेट्रोल पंप", False, 141),
    CategorySpec("automobile", "Automobile", "ऑटोमोबाइल", False, 0),
    CategorySpec("kda", "KDA", "केडीए", True, 0),
    CategorySpec("nhai", "NHAI", "एनएचएआई", True, 0),
    CategorySpec("police_post", "Police posts", "पुलिस चौकियाँ", True, 200),
    CategorySpec("industry", "Industry", "उद्योग", False, 1000),
    CategorySpec("bank_atm", "Banks & ATMs", "बैंक व एटीएम", False, 800),
    CategorySpec("bus_stand", "Bus stands", "बस अड्डे", True, 0),
    CategorySpec("hotel", "Hotels", "होटल", False, 300),
    CategorySpec("medical_store", "Medical stores", "मेडिकल स्टोर", False, 400),
    CategorySpec("liquor_shop", "Liquor shops", "शराब की दुकानें", False, 300),
    CategorySpec("residence", "Residences", "आवास", False, 0),
    CategorySpec("road", "Roads & junctions", "सड़कें व चौराहे", True, 1159),
    CategorySpec("other", "Other", "अन्य", False, 0),
)

# Linked cameras per category in the seed article (sums to 1,719; the article says 1,720).
SEED_LINKED: dict[str, int] = {
    "shop": 321,
    "school": 11,
    "smart_city": 624,
    "nagar_nigam": 39,
    "hospital": 9,
    "petrol_pump": 30,
    "automobile": 82,
    "kda": 7,
    "nhai": 8,
    "police_post": 20,
    "industry": 114,
    "bank_atm": 428,
    "bus_stand": 26,
}
