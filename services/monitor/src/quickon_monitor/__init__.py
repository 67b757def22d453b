"""QuickOn monitor service: health, metrics, alert rules and notifications."""
