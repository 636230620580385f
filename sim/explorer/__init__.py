"""The interactive explorer: a local web app (Mesa's SolaraViz controls on Solara) over yrdsim.

The explorer's logic is plain Python and needs no UI library: the levers a page can turn and
the configuration they make (:mod:`sim.explorer.levers`), the model the page steps and what it
shows of it (:mod:`sim.explorer.model`), the drawings as SVG text (:mod:`sim.explorer.svg`), the
comparison of a sweep folder (:mod:`sim.explorer.sweep`) and how the server is started
(:mod:`sim.explorer.server`). Only :mod:`sim.explorer.app` imports Solara and Mesa's
visualisation (the optional extra ``explorer``); the simulation core imports none of them.
"""
