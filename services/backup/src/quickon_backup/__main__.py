"""`python -m quickon_backup`: run the backup service."""

from .app import create_service

if __name__ == "__main__":
    create_service().run()
