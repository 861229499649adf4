"""Request and response bodies of the public API (see API.md), one module per resource."""
