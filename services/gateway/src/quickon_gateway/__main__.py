"""`python -m quickon_gateway`: run the gateway service."""

from .app import create_service

if __name__ == "__main__":
    create_service().run()
