"""QuickOn backup service: backups, schedules, retention and restores, on S3 or a local store."""
