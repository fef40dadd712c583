"""考核: assessment figures by department, group, 属地 and district.

Entry points: ``figures`` (compute, rank, monthly_trend, figure_cases),
``snapshots`` (frozen period figures), ``review`` (the annual review workbook).
"""
