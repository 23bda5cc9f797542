"""Machine-readable law tables: official 罪名, their penalty bands per version, accessory penalties.

Built from the statutes by ``python -m shujian.law.build``; see docs/law-tables.md.
"""

from __future__ import annotations

from shujian.law.tables import (
    Accessories,
    ChargeVersion,
    LawTables,
    accessory_table,
    charge_versions,
    load,
    mandatory_accessories,
    max_term_months,
    normalize_charge,
    version_in_force,
    write_accessory_table,
)

__all__ = ["Accessories", "ChargeVersion", "LawTables", "accessory_table", "charge_versions", "load",
           "mandatory_accessories", "max_term_months", "normalize_charge", "version_in_force",
           "write_accessory_table"]
