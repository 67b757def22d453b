"""Where apps run: the runtimes the deployer drives (``kubernetes``, ``sim``)."""
