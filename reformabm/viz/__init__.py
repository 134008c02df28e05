"""Browser visualisation of the organisation network (SolaraViz app, ``reformabm viz``).

``layout`` and ``drawing`` need only networkx/matplotlib; ``app`` needs the ``viz`` extra
(solara, mesa[rec]).
"""
