"""QuickOn monitor service: alert rules (templates rendered to PromQL, or raw PromQL) evaluated against
Prometheus on one elected replica, behaviour rules over the event stream, silences and acknowledgements;
alerts are events (``AlertFired`` / ``AlertResolved``) published through the outbox.

Exceptions to the usual shape: the rules' pure logic is split by concept (``domain`` for the alert state
machine and silences, ``promql`` for the templates, ``behaviour`` for the event rules), and the evaluator,
the behaviour consumers (``watching``) and the dead-letter follower have modules of their own.
"""
