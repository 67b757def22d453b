"""QuickOn market service: chart repositories become the app catalog: sources, versions, search, publishing."""
