"""`python -m quickon_audit`: run the audit service."""

from .app import create_service

if __name__ == "__main__":
    create_service().run()
