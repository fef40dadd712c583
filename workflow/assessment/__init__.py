"""考核: assessment figures by department, group, 属地 and district.

Entry points: ``periods`` (parse_period, make_window), ``figures`` (compute,
rank, monthly_trend), ``drilldown`` (figure_cases), ``snapshots`` (frozen period
figures, figures_for), ``review`` (the annual review workbook). ``conditions``
holds the SQL the figures are made of.
"""
