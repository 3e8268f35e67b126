"""Whether a near name (a fuzzy match) names the road or place the text names.

A road name is a stem, then modifiers that tell sibling roads apart (a direction, an ordinal), then a
generic word: 南山 + 西 + 路, 新丰 + 二 + 路, 侨香 + 大道. Near road names in one city are mostly
siblings or other roads, not misspellings: 南山西路 and 南山路 are two roads, 滨湖北二路 and 枋湖北二路
lie 12 km apart, 凤山庙路 is not 凤山路. So a near road name is
- the same road when stem and modifiers agree and only the generic word differs (侨香大路 → 侨香路);
- a sibling when only the stem agrees: near the named road, but its door numbers say nothing;
- another road otherwise.

A place name leads with what sets it apart (a brand, an area) and ends in generic words (大厦, 工业园),
so a near place name must begin as the text does once the city's own place names are set aside:
沙坡尾 may be 沙坡尾创意港, but 高新技术园 is not 厦门海峡农业高新技术园, and 汇金湖里大厦 is not 湖里大厦.
"""

import re
from enum import Enum

_GENERIC = re.compile(r"(?:大道|大街|大路|胡同|弄堂|路|街|巷|弄|道|线|里)$")
_MODIFIERS = re.compile(r"[东西南北中一二三四五六七八九十\d]+$")
_ORDINALS = str.maketrans("一二三四五六七八九", "123456789")
_MIN_STEM = 2  # 河南路 is 河南 + 路, not 河 + 南 + 路
_HEAD = 2  # characters that must agree at the start of a near place name


class Kinship(Enum):
    SAME = "same"  # the same road, its generic word written otherwise
    SIBLING = "sibling"  # same stem, other modifiers: a neighbouring road of the series


def road_parts(name: str) -> tuple[str, str, str]:
    """Stem, modifiers (ordinals as digits) and generic word of a road name."""
    generic = _GENERIC.search(name)
    body = name[: generic.start()] if generic else name
    modifiers = _MODIFIERS.search(body)
    cut = min(max(modifiers.start(), _MIN_STEM), len(body)) if modifiers else len(body)
    return body[:cut], body[cut:].translate(_ORDINALS), generic.group() if generic else ""


def road_kinship(written: str, known: str) -> Kinship | None:
    """How a known road name relates to the name in the text; None: another road."""
    stem, modifiers, _ = road_parts(written)
    known_stem, known_modifiers, _ = road_parts(known)
    if stem != known_stem:
        return None
    return Kinship.SAME if modifiers == known_modifiers else Kinship.SIBLING


def same_head(written: str, known: str, places: re.Pattern[str]) -> bool:
    """Whether a near place name begins as the written one, after the city's own place names
    (`places` matches a leading run of them: 厦门市, 思明区 …)."""
    written, known = places.sub("", written), places.sub("", known)
    return len(written) >= _HEAD and written[:_HEAD] == known[:_HEAD]
