"""Every figure yrdsim draws: style, geometry, label placement and one module per kind of figure.

No other layer imports matplotlib.
"""
