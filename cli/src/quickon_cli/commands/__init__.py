"""The commands of ``qc``, by area; each module's ``register`` adds its parsers."""
