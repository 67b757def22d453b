"""`python -m quickon_monitor`: run the monitor service."""

from .app import create_service

if __name__ == "__main__":
    create_service().run()
