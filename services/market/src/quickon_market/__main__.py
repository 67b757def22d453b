"""`python -m quickon_market`: run the market service."""

from .app import create_service

if __name__ == "__main__":
    create_service().run()
