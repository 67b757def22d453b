"""QuickOn deployer service: installed services and their operations (install, upgrade, rollback, ...) as sagas."""
