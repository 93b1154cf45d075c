"""The documents the rules cite (DOMAIN.md §3, §7), one constant per document.

Each rule module builds its own `Citation` next to the rule from these names and the article
it relies on; this module only spells each document's name once.
"""

from __future__ import annotations

# Seeds (local plans and guides, see DOMAIN.md §7).
KH61 = "Kế hoạch 61-KH/TU (27/10/2021)"  # seed 000: provincial plan for the 2021 review
CV123 = "Công văn 123-CV/ĐU (06/01/2022) của Đảng ủy Phường 11"  # seed 001
KH_2023 = "Kế hoạch kiểm điểm năm 2023 của Đảng ủy xã Tiên Thắng"  # seed 002
HD13 = "Hướng dẫn 13-HD/TU (20/11/2018)"  # seed 004: provincial guide

# National documents.
HD07 = "Hướng dẫn 07-HD/BTCTW (11/10/2011)"
QD132 = "Quy định 132-QĐ/TW (08/3/2018)"
HD21 = "Hướng dẫn 21-HD/BTCTW (18/10/2019)"
QD124 = "Quy định 124-QĐ/TW (04/10/2023)"
QD366 = "Quy định 366-QĐ/TW (30/8/2025)"
HD43 = "Hướng dẫn 43-HD/BTCTW (31/10/2025)"
QD37 = "Quy định 37-QĐ/TW (25/10/2021)"
