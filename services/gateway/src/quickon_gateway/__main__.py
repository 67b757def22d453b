"""`python -m quickon_gateway`: run the gateway service and its HTTP API."""

from .app import create_gateway

if __name__ == "__main__":
    service, app = create_gateway()
    service.run(app, internal_port=app.state.parts.settings.internal_port)
