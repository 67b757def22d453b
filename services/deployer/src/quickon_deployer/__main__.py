"""`python -m quickon_deployer`: run the deployer service."""

from .app import create_service

if __name__ == "__main__":
    create_service().run()
