"""QuickOn monitor service: health, metrics, alert rules and notifications.

A stub today: ``app.py`` starts a service with its (empty) migrations and nothing else; its handlers,
queries, domain and adapters come with its issue, in the shape every service has.
"""
