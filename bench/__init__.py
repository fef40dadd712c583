"""Timing scripts, one per hot path. Run each from the repository root as a module,
``python -m bench.<name>`` (``make bench`` runs them all); see the README's benchmark table.
"""
