"""Projectors of each area (services, printing, sync, day close), one module each.

Every module here is imported by db.projections, so its @projector functions register.
"""
