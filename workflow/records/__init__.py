"""Printed records (domain §8) and exports.

Entry points: ``closure``/``notice``/``extension``/``ledger`` render a PDF,
``verify.verify_record`` checks a printed stamp, ``ledger_xlsx`` writes the
Excel 台账, ``exports`` runs batch ZIP exports (as RQ jobs or in-process).
"""
